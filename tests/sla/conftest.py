"""Service targets' fixtures: an office-hours calendar (Mon–Fri 09–17 UTC) and a policy counting on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.kernel.permissions import SYSTEM
from rapport.kit.calendar_spec import Calendar
from rapport.models import BusinessCalendar, CalendarVersion, Conversation, Event, SlaClock
from rapport.sla import policies

OFFICE = {"timezone": "UTC", "weekly": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
HOUR = 3600


def office_calendar(session) -> int:
    """An office-hours calendar in force since 2020; its id."""
    stamp = datetime(2020, 1, 1, tzinfo=UTC)
    cal = BusinessCalendar(name="Office hours", description="", created_at=stamp, updated_at=stamp)
    session.add(cal)
    session.flush()
    spec = Calendar.from_dict(OFFICE).to_dict()
    session.add(CalendarVersion(calendar_id=cal.id, effective_from=stamp, spec=spec, feed_opt_out=[], created_at=stamp))
    session.flush()
    return cal.id


def standard_targets(calendar_id: int) -> list[dict]:
    """First reply in a business hour, next reply in two, resolution in a business day, a person within 10 min."""
    return [
        {"kind": "first_reply", "seconds": HOUR, "calendar_id": calendar_id},
        {"kind": "next_reply", "seconds": 2 * HOUR, "calendar_id": calendar_id},
        {"kind": "resolution", "seconds": 8 * HOUR, "calendar_id": calendar_id},
        {"kind": "human", "seconds": 600, "business": False},
    ]


@pytest.fixture
def calendar_id(db) -> int:
    """The office-hours calendar."""
    with db.write() as s:
        return office_calendar(s)


@pytest.fixture
def policy(db, world, calendar_id, frozen_clock):
    """One policy for every conversation, in force since before the frozen clock's start."""
    with db.write() as s:
        made = policies.create(
            s,
            SYSTEM,
            name="Standard",
            targets=standard_targets(calendar_id),
            effective_from=datetime(2026, 1, 1, tzinfo=UTC),
        )
        return made.id


def write_in(
    db, world, text: str = "Help please", *, conversation_id: int | None = None, address="jo@customer.test", inbox=None
):
    """A customer's message through the inbound pipeline (the API inbox unless `inbox`); the conversation's id."""
    msg = Inbound(
        inbox_id=(inbox or world.api_inbox).id,
        sender_kind="email",
        sender_address=address,
        text=text,
        conversation_id=conversation_id,
    )
    with db.write() as s:
        return receive_inbound(s, SYSTEM, msg).conversation_id


def clocks(db, conversation_id: int) -> dict[str, list[SlaClock]]:
    """A conversation's clocks by target, oldest first."""
    out: dict[str, list[SlaClock]] = {}
    with db.read() as s:
        query = select(SlaClock).where(SlaClock.conversation_id == conversation_id).order_by(SlaClock.id)
        for clock in s.scalars(query):
            s.expunge(clock)
            out.setdefault(clock.target, []).append(clock)
    return out


def conversation(db, conversation_id: int) -> Conversation:
    """The conversation's row, detached."""
    with db.read() as s:
        conv = s.get(Conversation, conversation_id)
        s.expunge(conv)
        return conv


def sla_events(db, conversation_id: int) -> list[tuple[str, dict, datetime]]:
    """The conversation's sla.* events in log order: (name, payload, occurred_at)."""
    with db.read() as s:
        query = select(Event).where(Event.conversation_id == conversation_id, Event.name.like("sla.%"))
        return [(e.name, e.payload, e.occurred_at) for e in s.scalars(query.order_by(Event.id))]


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
