"""The lifecycle for many conversations at once: an inbound batch (one UPDATE for all) and an import's rows.

Inbound batches run each message through the core in memory and write every touched conversation with one
statement. An import writes history as it was: its times are canonical strings (they sort as times do), and
a conversation reaches its final status by the shortest allowed path (`core.path_to`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.orm import Session

from rapport.conversations.lifecycle import hooks
from rapport.conversations.lifecycle.core import Event, Lifecycle, Received, path_to, transition
from rapport.models import Conversation
from rapport.models.enums import Status

C = Conversation.__table__.c


def opened(at: datetime) -> Lifecycle:
    """A conversation a message opens at `at`, before that message is counted in."""
    return Lifecycle(status=Status.new.value, updated_at=at)


def receive(state: Lifecycle, at: datetime) -> tuple[Lifecycle, list[tuple[str, dict]]]:
    """A customer's message at `at`: the new state and its events as (name, payload)."""
    state, events = transition(state, Received(at))
    return state, [(e.name, e.payload) for e in events]


def received_step(
    conversation_id: int,
    at: datetime,
    before: Lifecycle,
    after: Lifecycle,
    events: list[tuple[str, dict]],
    *,
    created_at: datetime | None = None,
) -> hooks.Step:
    """A customer's message written to a conversation, as the lifecycle hooks see it."""
    return hooks.Step(
        conversation_id, Received(at), before, after, tuple(Event(n, p) for n, p in events), created_at=created_at
    )


def after_batch(session: Session, steps: list[hooks.Step]) -> None:
    """Tell the lifecycle hooks (response clocks) what a batch wrote, in its transaction, once for the batch."""
    hooks.run(session, steps)


def after_import(session: Session, conversation_ids: list[int]) -> None:
    """Tell the lifecycle hooks which conversations an import wrote (new active ones and those it appended to)."""
    hooks.run(session, [hooks.Step(i, None, None, None) for i in dict.fromkeys(conversation_ids)])


def new_row(state: Lifecycle) -> dict:
    """The lifecycle columns of a conversation inserted as the batch leaves it."""
    return {
        "status": state.status,
        "reopen_count": state.reopen_count,
        "last_message_at": state.last_message_at,
        "last_inbound_at": state.last_inbound_at,
    }


_TOUCH = (
    update(Conversation.__table__)
    .where(C.id == bindparam("b_id"))
    .values(
        message_count=C.message_count + bindparam("b_added"),
        last_message_at=bindparam("b_last"),
        last_inbound_at=bindparam("b_last_in"),
        updated_at=bindparam("b_updated"),
        status=bindparam("b_status"),
        reopen_count=bindparam("b_reopen"),
        solved_at=bindparam("b_solved"),
    )
)

# PostgreSQL: one statement for the batch, its text the same for every batch (parsed and planned once).
_TOUCH_PG = (
    "UPDATE conversations AS c SET message_count = c.message_count + u.added, last_message_at = u.last, "
    "last_inbound_at = u.last_in, updated_at = u.updated, status = u.status, reopen_count = u.reopen, "
    "solved_at = u.solved FROM unnest(%(id)s::BIGINT[], %(added)s::INTEGER[], %(last)s::TIMESTAMPTZ[], "
    "%(last_in)s::TIMESTAMPTZ[], %(updated)s::TIMESTAMPTZ[], %(status)s::VARCHAR[], %(reopen)s::INTEGER[], "
    "%(solved)s::TIMESTAMPTZ[]) AS u(id, added, last, last_in, updated, status, reopen, solved) WHERE c.id = u.id"
)


def touch(conn: Connection, convs: list[tuple[int, int, Lifecycle]]) -> None:
    """Write (id, messages added, state) of existing conversations with one statement for the batch.

    The state's last times are the batch's own (the rows' are not read), as a batch's messages are its newest.
    """
    if not convs:
        return
    if conn.dialect.name == "postgresql":
        stamp = C.updated_at.type._cached_bind_processor(conn.dialect)
        conn.exec_driver_sql(
            _TOUCH_PG,
            {
                "id": [i for i, _, _ in convs],
                "added": [n for _, n, _ in convs],
                "last": [stamp(s.last_message_at) for _, _, s in convs],
                "last_in": [stamp(s.last_inbound_at) for _, _, s in convs],
                "updated": [stamp(s.updated_at) for _, _, s in convs],
                "status": [s.status for _, _, s in convs],
                "reopen": [s.reopen_count for _, _, s in convs],
                "solved": [stamp(s.solved_at) for _, _, s in convs],
            },
        )
        return
    conn.execute(
        _TOUCH,
        [
            {
                "b_id": i,
                "b_added": n,
                "b_last": s.last_message_at,
                "b_last_in": s.last_inbound_at,
                "b_updated": s.updated_at,
                "b_status": s.status,
                "b_reopen": s.reopen_count,
                "b_solved": s.solved_at,
            }
            for i, n, s in convs
        ],
    )


@dataclass(slots=True)
class Imported:
    """An imported conversation's lifecycle columns, and its status moves as (when, from, to)."""

    status: str
    last_message_at: str | None
    last_inbound_at: str | None
    first_reply_at: str | None
    solved_at: str | None
    closed_at: str | None
    updated_at: str
    moves: list[tuple[str, str, str]]


def imported(
    messages: list[tuple[str, str]],
    *,
    created: str,
    status: str | None,
    solved_at: str | None,
    closed_at: str | None,
    updated_at: str | None,
) -> Imported:
    """The lifecycle of an imported conversation from its (created_at, direction) messages in time order."""
    last = messages[-1][0] if messages else None
    last_in = next((at for at, d in reversed(messages) if d == "inbound"), None)
    first_reply = next((at for at, d in messages if d == "outbound"), None)
    status = status or (Status.open.value if first_reply else Status.new.value)
    end = last or created
    solved = (solved_at or end) if status in (Status.solved, Status.closed) else None
    closed = (closed_at or max(end, solved)) if status == Status.closed else None
    updated = updated_at or max(t for t in (end, solved, closed) if t is not None)
    # When each move happened: solving at the solve time, closing at the close time, opening at the first reply,
    # and any other status as of the last update. (The first reply's own record is its message.sent event.)
    when = {Status.solved.value: solved, Status.closed.value: closed, Status.open.value: first_reply or created}
    moves = [(when.get(to, updated), frm, to) for frm, to in path_to(status)]
    return Imported(status, last, last_in, first_reply, solved, closed, updated, moves)


def appended(
    times: tuple[str | None, str | None, str | None, str | None], messages: Iterable[tuple[str, str]]
) -> tuple[str | None, str | None, str | None, str | None]:
    """(last message, last inbound, first reply, updated) of an existing conversation after imported messages."""
    last, last_in, first_reply, updated = times
    for stamp, direction in messages:
        last = stamp if last is None or stamp > last else last
        updated = stamp if updated is None or stamp > updated else updated
        if direction == "inbound":
            last_in = stamp if last_in is None or stamp > last_in else last_in
        elif direction == "outbound":
            first_reply = stamp if first_reply is None or stamp < first_reply else first_reply
    return last, last_in, first_reply, updated
