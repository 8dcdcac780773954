"""The lifecycle's pure core: its invariants hold for any sequence of changes, and each change says what it did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.conversations.lifecycle import (
    HumanRequested,
    Lifecycle,
    MergedAway,
    Move,
    Noted,
    Received,
    Sent,
    TookIn,
    transition,
)
from rapport.conversations.lifecycle.bulk import imported
from rapport.conversations.lifecycle.core import path_to
from rapport.kit.problems import Conflict
from rapport.models.enums import TRANSITIONS, Status

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STATUSES = [s.value for s in Status]
DONE = {Status.solved.value, Status.closed.value}


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _change(kind: str, to: str, by_agent: bool, then: str | None):
    """A change of `kind` built at time 0; the test stamps it."""
    return {
        "move": lambda at: Move(to, at, by="agent"),
        "received": lambda at: Received(at),
        "sent": lambda at: Sent(at, by_agent=by_agent, then=then),
        "noted": lambda at: Noted(at),
        "human": lambda at: HumanRequested(at, channel="chat", via="chat_button"),
        "merged": lambda at: MergedAway(99, at),
        "took_in": lambda at: TookIn(at, at - timedelta(minutes=5), None),
    }[kind]


changes = st.lists(
    st.tuples(
        st.sampled_from(["move", "move", "move", "received", "sent", "noted", "human", "merged", "took_in"]),
        st.sampled_from(STATUSES),
        st.booleans(),
        st.one_of(st.none(), st.sampled_from(STATUSES)),
        st.integers(min_value=0, max_value=600),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(changes)
def test_invariants_hold_for_any_sequence_of_changes(steps):
    state = Lifecycle(status=Status.new.value, updated_at=T0, id=7)
    clock = 0
    for kind, to, by_agent, then, gap in steps:
        clock += gap
        change = _change(kind, to, by_agent, then)(_at(clock))
        before = state
        try:
            state, events = transition(before, change)
        except Conflict:
            # Refused: only a move the transition table forbids (closed is final), and the state is untouched.
            target = Status(change.to if isinstance(change, Move) else change.then)
            assert target not in TRANSITIONS[Status(before.status)]
            continue
        names = [e.name for e in events]
        moved = [e.payload for e in events if e.name == "conversation.status_changed"]
        # An event for every status change, and only then; it names where it came from and went.
        if before.status != state.status:
            assert moved[0]["from_"] == before.status and moved[-1]["to"] == state.status
        else:
            assert moved == []
        # Solved time only while solved or closed; a solved conversation always has one; closed has a closed time.
        assert state.solved_at is None or state.status in DONE
        assert state.status != Status.solved or state.solved_at is not None
        assert state.status != Status.closed or state.closed_at is not None
        # Reopening counts up by one, only from solved to open, with its own event.
        assert state.reopen_count in (before.reopen_count, before.reopen_count + 1)
        reopened = state.reopen_count > before.reopen_count
        assert reopened == ("conversation.reopened" in names)
        assert not reopened or (before.status == Status.solved and state.status == Status.open)
        # Closed is final; the first reply never changes once made; time only moves forward.
        assert before.status != Status.closed or state.status == Status.closed
        assert before.first_reply_at is None or state.first_reply_at == before.first_reply_at
        assert state.updated_at >= before.updated_at
        # The request for a person: an event when it starts and when an agent answers it, never otherwise.
        asked = before.human_requested_at is None and state.human_requested_at is not None
        answered = before.human_requested_at is not None and state.human_requested_at is None
        assert asked == ("conversation.human_requested" in names)
        assert answered == ("conversation.human_answered" in names)
        assert state.id == before.id
        if not events:
            assert (state.status, state.reopen_count, state.solved_at) == (
                before.status,
                before.reopen_count,
                before.solved_at,
            )


@pytest.mark.parametrize("status", STATUSES)
def test_a_customer_message_reopens_only_what_waited_on_them(status):
    before = Lifecycle(status=status, updated_at=T0, solved_at=T0 if status in DONE else None, reopen_count=2)
    after, events = transition(before, Received(_at(5)))
    names = [e.name for e in events]
    if status in ("pending", "on_hold", "solved"):
        assert after.status == "open" and names[0] == "conversation.status_changed"
    else:
        assert after.status == status and "conversation.status_changed" not in names
    if status == "solved":
        assert (after.reopen_count, after.solved_at) == (3, None)
        assert events[1].payload == {"reopen_count": 3, "by": "customer"}
    assert after.last_inbound_at == after.last_message_at == after.updated_at == _at(5)


def test_a_message_stamped_earlier_never_moves_the_times_back():
    state, _ = transition(Lifecycle(status="open", updated_at=_at(10)), Received(_at(20)))
    state, _ = transition(state, Received(_at(15)))
    assert (state.last_inbound_at, state.updated_at) == (_at(20), _at(20))


def test_a_move_the_table_forbids_names_the_conversation_and_what_is_allowed():
    with pytest.raises(Conflict) as refused:
        transition(Lifecycle(status="closed", id=41), Move("open", T0))
    assert "Conversation 41 cannot go from 'closed' to 'open'" in refused.value.detail
    assert "none (closed is final)" in refused.value.detail


def test_the_first_reply_opens_a_new_conversation_and_answers_a_waiting_customer():
    asked, _ = transition(Lifecycle(status="new", updated_at=T0), HumanRequested(_at(1), "chat", "chat_button"))
    state, events = transition(asked, Sent(_at(3)))
    assert [e.name for e in events] == ["conversation.human_answered", "conversation.status_changed"]
    assert events[0].payload == {"from_": _at(1).isoformat(), "to": _at(3).isoformat()}
    assert (state.status, state.first_reply_at, state.human_requested_at) == ("open", _at(3), None)
    system, events = transition(asked, Sent(_at(3), by_agent=False, then="pending"))
    assert system.human_requested_at == _at(1) and [e.payload for e in events] == [{"from_": "new", "to": "pending"}]


def test_a_merged_conversation_closes_whatever_its_status_and_the_target_takes_its_times():
    source, events = transition(Lifecycle(status="pending", updated_at=T0), MergedAway(5, _at(2)))
    assert (source.status, source.closed_at, source.merged_into_id) == ("closed", _at(2), 5)
    assert [e.payload for e in events] == [{"from_": "pending", "to": "closed"}]
    assert transition(Lifecycle(status="closed", closed_at=T0), MergedAway(5, _at(2)))[1] == []
    target, _ = transition(Lifecycle(status="open", last_message_at=_at(1)), TookIn(_at(2), _at(9), _at(8)))
    assert (target.last_message_at, target.last_inbound_at, target.updated_at) == (_at(9), _at(8), _at(2))


@pytest.mark.parametrize("status", STATUSES)
def test_an_import_reaches_its_status_by_allowed_moves(status):
    walk = [Status.new]
    for frm, to in path_to(status):
        assert frm == walk[-1] and Status(to) in TRANSITIONS[Status(frm)]
        walk.append(Status(to))
    assert walk[-1] == status


def test_an_import_stamps_each_move_when_it_happened():
    msgs = [("2026-01-01T10:00:00Z", "inbound"), ("2026-01-01T11:00:00Z", "outbound")]
    life = imported(
        msgs, created="2026-01-01T10:00:00Z", status="closed", solved_at=None, closed_at=None, updated_at=None
    )
    assert (life.first_reply_at, life.last_inbound_at, life.solved_at, life.closed_at) == (
        "2026-01-01T11:00:00Z",
        "2026-01-01T10:00:00Z",
        "2026-01-01T11:00:00Z",
        "2026-01-01T11:00:00Z",
    )
    assert life.moves == [
        ("2026-01-01T11:00:00Z", "new", "solved"),
        ("2026-01-01T11:00:00Z", "solved", "closed"),
    ]
    opened = imported(
        msgs, created="2026-01-01T10:00:00Z", status=None, solved_at=None, closed_at=None, updated_at=None
    )
    assert (opened.status, opened.moves) == ("open", [("2026-01-01T11:00:00Z", "new", "open")])
