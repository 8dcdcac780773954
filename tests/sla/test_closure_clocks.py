"""A closure added on the calendar reaches the service targets as any calendar edit does: clocks started after it
count around it, clocks started before keep the version they started under."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport.calendars import closures
from rapport.kernel.permissions import SYSTEM
from tests.sla.conftest import clocks, write_in

MONDAY_9 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the frozen clock's start; the office is open 09:00-17:00 UTC


def test_a_closure_moves_the_deadlines_of_clocks_started_after_it(db, world, policy, calendar_id, frozen_clock):
    before = clocks(db, write_in(db, world))["first_reply"][0]
    assert before.due_at == MONDAY_9 + timedelta(hours=1)
    frozen_clock[0] += timedelta(minutes=5)
    with db.write() as s:  # closed for the rest of Monday
        closures.add(s, SYSTEM, calendar_id, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=8), label="Stock-take")
    after = clocks(db, write_in(db, world, address="sam@customer.test"))["first_reply"][0]
    assert after.due_at == MONDAY_9 + timedelta(days=1, hours=1)  # Tuesday's first office hour
    assert after.calendar_version_id != before.calendar_version_id
    assert clocks(db, before.conversation_id)["first_reply"][0].due_at == before.due_at  # kept its version
