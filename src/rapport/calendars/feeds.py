"""iCal feeds into calendars: an uploaded file or pasted text (never a URL: Rapport fetches nothing), read within a
horizon, listed item by item so an admin can opt items out, then stored as a new version's closed dates and closures.

The feed's size is checked against RAPPORT_ICAL_MAX_BYTES before it is parsed. A new import replaces the previous
feed's items (they carry their event's UID); the organisation's own dates stay and win over the feed's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from rapport.calendars import service
from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.calendar_ical import ICalImport, ICalTooLarge, import_ical
from rapport.kit.calendar_spec import Calendar, CalendarError
from rapport.kit.clock import now
from rapport.kit.problems import TooLarge
from rapport.models import CalendarVersion

HORIZON_DAYS = 731  # a feed is read two years ahead of the version's start: it is re-imported to see further
LIMIT = "RAPPORT_ICAL_MAX_BYTES"


@dataclass(frozen=True)
class FeedItem:
    """One event of a feed: its UID (None: it has none, so it cannot be opted out), what it says, when it first
    closes within the horizon (None: never), how many closed dates and spans it brings, and whether it is opted out."""

    uid: str | None
    summary: str
    first: date | None
    occurrences: int
    opted_out: bool


def _read(calendar: Calendar, data: bytes | str, start: date, opt_out: Iterable[str] = ()) -> ICalImport:
    try:
        return import_ical(
            data,
            timezone=calendar.timezone,
            horizon_start=start,
            horizon_end=start + timedelta(days=HORIZON_DAYS),
            exclude_uids=frozenset(opt_out),
            max_bytes=get_settings().ical_max_bytes,
            limit_name=LIMIT,
        )
    except ICalTooLarge as exc:
        raise TooLarge(str(exc), errors=[{"field": "ical", "message": str(exc)}], limit=LIMIT) from None
    except CalendarError as exc:
        raise service.invalid(exc) from None


def _start(calendar: Calendar, effective_from: datetime | None) -> date:
    return (effective_from or now()).astimezone(calendar.tz).date()


def items(feed: ICalImport, opt_out: Iterable[str] = ()) -> list[FeedItem]:
    """The feed's events in the order it lists them, each with its first closing and how many it brings."""
    excluded = set(opt_out)
    seen: dict[str | None, list] = {}
    for o in feed.dates:
        seen.setdefault(o.uid, []).append((o.date, o.label))
    for c in feed.closures:
        seen.setdefault(c.uid, []).append((c.start.date(), c.label))
    out = []
    for uid in [*feed.uids, *([None] if None in seen else [])]:
        found = sorted(seen.get(uid, []))
        summary = next((label for _, label in found if label), "")
        out.append(FeedItem(uid, summary, found[0][0] if found else None, len(found), uid in excluded))
    return out


def _base(session: Session, calendar_id: int) -> Calendar:
    """The calendar's latest version without its previous feed's items: what a new import is laid over."""
    cal = service.calendar_of(service.latest(session, calendar_id))
    own_dates = tuple(o for o in cal.dates if o.uid is None)
    own_closures = tuple(c for c in cal.closures if c.uid is None)
    return Calendar(cal.timezone, cal.weekly, cal.holidays, own_dates, own_closures)


def preview(
    session: Session,
    actor: Actor,
    calendar_id: int,
    data: bytes | str,
    *,
    opt_out: Iterable[str] = (),
    effective_from: datetime | None = None,
) -> list[FeedItem]:
    """What importing this feed would bring, item by item (nothing is written)."""
    authorize(actor, "admin")
    service.get(session, calendar_id)
    base = _base(session, calendar_id)
    return items(_read(base, data, _start(base, effective_from)), opt_out)


def import_feed(
    session: Session,
    actor: Actor,
    calendar_id: int,
    data: bytes | str,
    *,
    feed_name: str,
    opt_out: Iterable[str] = (),
    effective_from: datetime | None = None,
) -> tuple[CalendarVersion, list[FeedItem]]:
    """A new version holding the feed's closed dates and closures (less the opted-out items) instead of the last
    feed's; the items are returned as `preview` lists them."""
    authorize(actor, "admin")
    service.get(session, calendar_id)
    opt_out = sorted(set(opt_out))
    base = _base(session, calendar_id)
    start = _start(base, effective_from)
    everything = _read(base, data, start)
    kept = _read(base, data, start, opt_out)
    merged = base.with_feed(kept.dates, kept.closures)
    version = service.revise(
        session, actor, calendar_id, spec=merged.to_dict(), effective_from=effective_from, feed_name=feed_name,
        feed_opt_out=opt_out,
    )  # fmt: skip
    return version, items(everything, opt_out)
