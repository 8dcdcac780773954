"""The lifecycle's pure core: `transition(state, change) -> (new state, events)`, with no database and no clock.

Every change to a conversation's status, reopen count, solved/closed times, first reply, last message and last
customer message times, and the request for a person goes through here; the front-ends (orm, bulk) only read a
state in and write the new one out. Response clocks hook here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from rapport.kit.problems import Conflict
from rapport.models.enums import TRANSITIONS, Status

# A customer's message brings these back to open (closed is final: it opens a follow-up instead, see inbound_plan).
REOPENING = frozenset({Status.pending.value, Status.on_hold.value, Status.solved.value})
# The columns this module alone writes (tests/conversations/test_lifecycle_writers.py holds every other module to it).
COLUMNS = (
    "status",
    "reopen_count",
    "solved_at",
    "closed_at",
    "first_reply_at",
    "last_message_at",
    "last_inbound_at",
    "human_requested_at",
)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A conversation's lifecycle facts; `updated_at` moves with them."""

    status: str
    updated_at: datetime | None = None
    id: int | None = None  # named in a refusal; never changed here
    reopen_count: int = 0
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    first_reply_at: datetime | None = None
    last_message_at: datetime | None = None
    last_inbound_at: datetime | None = None
    human_requested_at: datetime | None = None
    merged_into_id: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """An event a change causes: its registry name and payload (subject ids are the front-end's)."""

    name: str
    payload: dict


@dataclass(frozen=True, slots=True)
class Move:
    """A person or the system sets the status (`by` says who reopened, when it reopens)."""

    to: str
    at: datetime
    by: str = "agent"


@dataclass(frozen=True, slots=True)
class Received:
    """A customer's message arrived (sent at `at`): what was waiting on them opens again."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Sent:
    """An outbound reply at `at`; `then` is the status asked for with it (a first reply opens a new conversation)."""

    at: datetime
    by_agent: bool = True
    then: str | None = None


@dataclass(frozen=True, slots=True)
class Noted:
    """An internal note at `at`."""

    at: datetime


@dataclass(frozen=True, slots=True)
class HumanRequested:
    """The customer asked for a person (`via`: e.g. chat_button, ivr_0); a second request changes nothing."""

    at: datetime
    channel: str
    via: str


@dataclass(frozen=True, slots=True)
class MergedAway:
    """This conversation was merged into `target_id`: it closes, whatever its status."""

    target_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TookIn:
    """Another conversation's messages moved in; its last message times come with them."""

    at: datetime
    last_message_at: datetime | None
    last_inbound_at: datetime | None


Change = Move | Received | Sent | Noted | HumanRequested | MergedAway | TookIn


def transition(state: Lifecycle, change: Change) -> tuple[Lifecycle, list[Event]]:
    """The state after `change` and the events that record it; Conflict when the status may not move so."""
    if isinstance(change, Move):
        return _move(state, Status(change.to), change.at, change.by)
    if isinstance(change, Received):
        return _received(state, change.at)
    if isinstance(change, Sent):
        return _sent(state, change)
    if isinstance(change, Noted):
        return replace(state, last_message_at=change.at, updated_at=change.at), []
    if isinstance(change, HumanRequested):
        if state.human_requested_at is not None:
            return state, []
        event = Event("conversation.human_requested", {"channel": change.channel, "via": change.via})
        return replace(state, human_requested_at=change.at, updated_at=change.at), [event]
    if isinstance(change, MergedAway):
        return _merged_away(state, change)
    if isinstance(change, TookIn):
        return (
            replace(
                state,
                last_message_at=_latest(state.last_message_at, change.last_message_at),
                last_inbound_at=_latest(state.last_inbound_at, change.last_inbound_at),
                updated_at=change.at,
            ),
            [],
        )
    raise TypeError(f"not a lifecycle change: {change!r}")


def check_move(current: str, to: str, conversation_id: int | None = None) -> None:
    """Conflict (naming what is allowed) unless the lifecycle lets `current` go to `to`."""
    cur, target = Status(current), Status(to)
    if cur != target and target not in TRANSITIONS[cur]:
        allowed = ", ".join(sorted(TRANSITIONS[cur])) or "none (closed is final)"
        raise Conflict(
            f"Conversation {conversation_id} cannot go from '{cur}' to '{target}'. Allowed from '{cur}': {allowed}.",
            current=cur.value,
            requested=target.value,
        )


def path_to(status: str) -> list[tuple[str, str]]:
    """The allowed moves from new to `status`, shortest (closed by way of solved): how an import reaches it."""
    if status == Status.new:
        return []
    if status == Status.closed:
        return [(Status.new.value, Status.solved.value), (Status.solved.value, Status.closed.value)]
    return [(Status.new.value, Status(status).value)]


def _move(state: Lifecycle, to: Status, at: datetime, by: str) -> tuple[Lifecycle, list[Event]]:
    current = Status(state.status)
    if current == to:
        return state, []
    check_move(current, to, state.id)
    events = [Event("conversation.status_changed", {"from_": current.value, "to": to.value})]
    new = replace(state, status=to.value, updated_at=at)
    if current == Status.solved and to == Status.open:
        new = replace(new, reopen_count=state.reopen_count + 1, solved_at=None)
        events.append(Event("conversation.reopened", {"reopen_count": new.reopen_count, "by": by}))
    if to == Status.solved:
        new = replace(new, solved_at=at)
    if to == Status.closed:
        new = replace(new, closed_at=at)
    return new, events


def _received(state: Lifecycle, at: datetime) -> tuple[Lifecycle, list[Event]]:
    events: list[Event] = []
    if state.status in REOPENING:
        events.append(Event("conversation.status_changed", {"from_": state.status, "to": Status.open.value}))
        reopened = state.status == Status.solved
        state = replace(
            state,
            status=Status.open.value,
            reopen_count=state.reopen_count + reopened,
            solved_at=None if reopened else state.solved_at,
        )
        if reopened:
            events.append(Event("conversation.reopened", {"reopen_count": state.reopen_count, "by": "customer"}))
    # The latest wins whatever order a batch's messages come in; a message stamped earlier never moves time back.
    last = _latest(state.last_inbound_at, at)
    return replace(
        state,
        last_message_at=_latest(state.last_message_at, at),
        last_inbound_at=last,
        updated_at=_latest(state.updated_at, at),
    ), events


def _sent(state: Lifecycle, change: Sent) -> tuple[Lifecycle, list[Event]]:
    at, events = change.at, []
    state = replace(state, last_message_at=at, updated_at=at, first_reply_at=state.first_reply_at or at)
    if change.by_agent and state.human_requested_at is not None:
        # The wait is in the event, for metrics.
        events.append(
            Event("conversation.human_answered", {"from_": state.human_requested_at.isoformat(), "to": at.isoformat()})
        )
        state = replace(state, human_requested_at=None)
    then = change.then or (Status.open.value if state.status == Status.new else None)
    if then is not None:
        state, moved = _move(state, Status(then), at, "agent")
        events += moved
    return state, events


def _merged_away(state: Lifecycle, change: MergedAway) -> tuple[Lifecycle, list[Event]]:
    events = []
    if state.status != Status.closed:
        events.append(Event("conversation.status_changed", {"from_": state.status, "to": Status.closed.value}))
    new = replace(
        state, status=Status.closed.value, closed_at=change.at, updated_at=change.at, merged_into_id=change.target_id
    )
    return new, events


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
