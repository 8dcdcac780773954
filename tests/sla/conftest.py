"""Fixtures of the service targets' tests: a business-hours calendar, written as rows (its service is elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.kit.calendar_spec import Calendar
from rapport.models import BusinessCalendar, CalendarVersion

OFFICE = {"timezone": "UTC", "weekly": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
SINCE = datetime(2020, 1, 1, tzinfo=UTC)


def add_calendar(db, name: str = "Office hours", spec: dict | None = None, since: datetime = SINCE) -> int:
    """A calendar with one version (by default Monday to Friday 09:00-17:00 UTC) in force from `since`."""
    spec = Calendar.from_dict(spec or OFFICE).to_dict()
    with db.write() as s:
        row = BusinessCalendar(name=name, description="", created_at=since, updated_at=since)
        s.add(row)
        s.flush()
        s.add(CalendarVersion(calendar_id=row.id, effective_from=since, spec=spec, created_at=since))
        return row.id


@pytest.fixture
def office(db) -> int:
    """The id of an office-hours calendar (Monday to Friday, 09:00-17:00 UTC)."""
    return add_calendar(db)
