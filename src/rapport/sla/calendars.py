"""The calendar a clock counts on: the version of a calendar in force at an instant, parsed once per version.

Versions are never edited, so a parsed version is cached by its id for the life of the process. (The calendars
domain keeps calendars; this is only the read the clocks need.)
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kit.calendar_spec import Calendar
from rapport.models import CalendarVersion

_PARSED: dict[int, Calendar] = {}
_LOCK = threading.Lock()


def _parse(version_id: int, spec: dict) -> Calendar:
    found = _PARSED.get(version_id)
    if found is None:
        found = Calendar.from_dict(spec)
        with _LOCK:
            _PARSED[version_id] = found
    return found


def forget() -> None:
    """Forget the parsed versions (a test emptied the database, so version ids are given again)."""
    with _LOCK:
        _PARSED.clear()


def by_version(session: Session, version_ids: Iterable[int | None]) -> dict[int, Calendar]:
    """Parsed calendars by version id (one query for those not parsed yet)."""
    wanted = {v for v in version_ids if v is not None}
    missing = wanted - set(_PARSED)
    if missing:
        rows = session.execute(select(CalendarVersion.id, CalendarVersion.spec).where(CalendarVersion.id.in_(missing)))
        for version_id, spec in rows:
            _parse(version_id, spec)
    return {v: _PARSED[v] for v in wanted if v in _PARSED}


class InForce:
    """The versions of some calendars (`None`: every one), read once (one query), to answer "which version at
    instant T" in memory."""

    def __init__(self, session: Session, calendar_ids: Iterable[int] | None):
        self.versions: dict[int, list[tuple[datetime, int, dict]]] = {}
        self.starts: dict[int, list[datetime]] = {}
        wanted = None if calendar_ids is None else set(calendar_ids)
        if wanted is None or wanted:
            query = select(
                CalendarVersion.calendar_id, CalendarVersion.effective_from, CalendarVersion.id, CalendarVersion.spec
            )
            if wanted is not None:
                query = query.where(CalendarVersion.calendar_id.in_(wanted))
            for calendar_id, start, version_id, spec in session.execute(query.order_by(CalendarVersion.effective_from)):
                self.versions.setdefault(calendar_id, []).append((start, version_id, spec))
                self.starts.setdefault(calendar_id, []).append(start)

    def at(self, calendar_id: int, moment: datetime) -> tuple[int, Calendar] | None:
        """(version id, calendar) of `calendar_id` in force at `moment`; its first version before that; None if none."""
        versions = self.versions.get(calendar_id)
        if not versions:
            return None
        i = bisect_right(self.starts[calendar_id], moment) - 1
        _, version_id, spec = versions[max(i, 0)]
        return version_id, _parse(version_id, spec)
