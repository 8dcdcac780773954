"""Clocks in words: target, state word and class, time left or late by, why it paused; a list row's due cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from rapport.sla import present, repository
from tests.sla.clock_rows import Policy, clock, conversation

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Row:
    """A clock's columns, as present reads them."""

    id: int = 1
    target: str = "first_reply"
    state: str = "running"
    target_seconds: int = 4 * 3600
    calendar_version_id: int | None = 7
    spent_seconds: int = 0
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned_at: datetime | None = None
    stopped_at: datetime | None = None
    paused_reason: str | None = None
    measured_seconds: int | None = None


@pytest.mark.parametrize(
    ("seconds", "business", "words"),
    [
        (4 * 3600, True, "4 business hours"),
        (3600, True, "1 business hour"),
        (30 * 60, True, "30 business minutes"),
        (90 * 60, True, "1 h 30 min of business time"),
        (86400, False, "1 day"),
        (3 * 86400, False, "3 days"),
        (2 * 3600 + 30 * 60, False, "2 hours 30 minutes"),
        (60, False, "1 minute"),
        (45, False, "<1 min"),
    ],
)
def test_a_target_in_words(seconds, business, words):
    assert present.goal(seconds, business=business) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "<1 min"), (59, "<1 min"), (25 * 60, "25 min"), (3900, "1 h 5 min"), (7200, "2 h"), (93600, "1 day 2 h")],
)
def test_a_span_in_words(seconds, words):
    assert present.span(seconds) == words


def test_a_running_clock_says_the_time_left_to_its_deadline():
    view = present.clock_view(Row(due_at=NOW + timedelta(minutes=25), warn_at=NOW + timedelta(minutes=5)), now=NOW)
    assert (view.word, view.css, view.summary, view.seconds_left) == ("On track", "sla-ok", "due in 25 min", 1500)
    assert view.label == "First reply" and view.goal == "4 business hours" and view.business


def test_a_running_clock_past_its_warning_is_due_soon():
    warned = present.clock_view(Row(due_at=NOW + timedelta(minutes=25), warn_at=NOW - timedelta(minutes=1)), now=NOW)
    sent = present.clock_view(Row(due_at=NOW + timedelta(hours=2), warned_at=NOW), now=NOW)
    assert (warned.word, warned.css) == (sent.word, sent.css) == ("Due soon", "sla-warn")


def test_a_running_clock_past_its_deadline_is_late_before_the_job_marks_it():
    view = present.clock_view(Row(due_at=NOW - timedelta(minutes=65)), now=NOW)
    assert (view.word, view.css, view.summary, view.seconds_left) == (
        "Breached",
        "sla-late",
        "late by 1 h 5 min",
        -3900,
    )


def test_a_breached_clock_counts_on_until_stopped_then_says_what_it_measured():
    open_ = present.clock_view(Row(state="breached", due_at=NOW - timedelta(minutes=65)), now=NOW)
    assert open_.summary == "late by 1 h 5 min"
    stopped = Row(state="breached", due_at=NOW - timedelta(hours=5), stopped_at=NOW, measured_seconds=4 * 3600 + 600)
    assert present.clock_view(stopped, now=NOW).summary == "late by 10 min"


def test_a_paused_clock_says_why_and_what_is_left_in_its_own_units():
    view = present.clock_view(Row(state="paused", spent_seconds=2 * 3600, paused_reason="on_hold"), now=NOW)
    assert (view.word, view.css) == ("Paused", "sla-paused")
    assert view.summary == "paused (on hold), 2 h left" and view.paused_reason == "on_hold"
    assert view.due_local == ""  # a paused clock has no deadline to show
    over = present.clock_view(Row(state="paused", spent_seconds=5 * 3600, paused_reason="pending"), now=NOW)
    assert over.summary == "paused (pending), late by 1 h"


def test_met_and_cancelled_clocks():
    met = present.clock_view(Row(state="met", measured_seconds=40 * 60, calendar_version_id=None), now=NOW)
    assert (met.word, met.css, met.summary, met.goal) == ("Met", "sla-met", "met in 40 min", "4 hours")
    gone = present.clock_view(Row(state="cancelled"), now=NOW)
    assert (gone.word, gone.css, gone.summary) == ("Cancelled", "sla-off", "no longer applies")


def test_the_deadline_is_shown_in_the_agents_timezone():
    view = present.clock_view(Row(due_at=datetime(2026, 11, 2, 13, 5, tzinfo=UTC)), now=NOW, tz="Europe/Paris")
    assert view.due_local == "Mon 02 Nov 14:05 CET"
    assert present.clock_view(Row(due_at=NOW + timedelta(hours=1)), now=NOW, tz="Not/AZone").due_local.endswith("UTC")


def test_clocks_are_listed_in_the_targets_order():
    rows = [Row(id=1, target="resolution"), Row(id=2, target="first_reply"), Row(id=3, target="next_reply")]
    assert [v.target for v in present.clock_views(rows, now=NOW)] == ["first_reply", "next_reply", "resolution"]


def test_the_due_cell_of_a_list_row():
    assert present.due_cell(None, None, now=NOW, tz="UTC") is None
    soon = present.due_cell(NOW + timedelta(minutes=25), NOW - timedelta(minutes=1), now=NOW, tz="America/New_York")
    assert (soon.word, soon.css, soon.summary) == ("Due soon", "sla-warn", "due in 25 min")
    assert soon.local == "Mon 02 Nov 04:25 EST"
    ok = present.due_cell(NOW + timedelta(hours=3), NOW + timedelta(hours=2), now=NOW, tz=None)
    assert (ok.word, ok.summary) == ("On track", "due in 3 h")
    late = present.due_cell(NOW - timedelta(minutes=5), None, now=NOW, tz=None)
    assert (late.word, late.css, late.summary) == ("Breached", "sla-late", "late by 5 min")


def test_the_current_clock_of_each_target_is_its_latest(db, world):
    with db.write() as s:
        policy = Policy(s)
        conv = conversation(s, world.email_inbox.id, policy=policy)
        clock(s, policy, conv, state="met", measured_seconds=60, stopped_at=NOW)
        clock(s, policy, conv, target="next_reply", state="met", measured_seconds=60, stopped_at=NOW)
        latest = clock(s, policy, conv, target="next_reply", due_at=NOW + timedelta(hours=1)).id
        other = conversation(s, world.email_inbox.id, policy=policy, customer="Someone else")
        clock(s, policy, other, target="resolution")
    with db.read() as s:
        found = repository.current(s, conv)
        assert sorted((c.target, c.id) for c in found) == [("first_reply", 1), ("next_reply", latest)]
        assert [c.id for c in repository.history(s, conv, limit=2)] == [latest, 2]
        assert [c.id for c in repository.history(s, conv, limit=5, before=2)] == [1]
        assert repository.policy_name(s, policy.policy.id) == "Standard" and repository.policy_name(s, None) is None
