"""What matching and (re)applying a policy read of conversations: snapshots for conditions, facts for the plan.

A statement or two for any number of conversations: the batch path and re-evaluation read them together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from rapport.conditions.evaluate import CONVERSATION_COLUMNS, Snapshot
from rapport.models import Conversation, ConversationTag, Customer, Message
from rapport.models.enums import AuthorKind, Direction
from rapport.sla.plan import Facts

C = Conversation.__table__.c
_COLUMNS = CONVERSATION_COLUMNS
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def snapshots(session: Session, conversation_ids: Iterable[int], *, tagged: bool = True) -> dict[int, Snapshot]:
    """What a policy's condition sees of each conversation and its customer, by conversation id (`tagged=False`:
    conversations known to have no tags yet, such as those an inbound batch just created)."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return {}
    tags: dict[int, set[str]] = {}
    query = select(ConversationTag.conversation_id, ConversationTag.tag).where(ConversationTag.conversation_id.in_(ids))
    for conversation_id, tag in session.execute(query) if tagged else ():
        tags.setdefault(conversation_id, set()).add(tag)
    query = select(C.id, *SNAPSHOT_COLUMNS).join(Customer, Customer.id == C.customer_id).where(C.id.in_(ids))
    return {row.id: snapshot_of(row, tags.get(row.id, ())) for row in session.execute(query)}


# What a snapshot reads of a conversation joined to its customer (so another read can carry it along).
SNAPSHOT_COLUMNS = (*(C[name] for name in _COLUMNS), Customer.segment, Customer.vip, Customer.attributes)


def snapshot_of(row, tags: Iterable[str] = ()) -> Snapshot:
    """The snapshot a row holding `SNAPSHOT_COLUMNS` describes."""
    return Snapshot(
        **{name: getattr(row, name) for name in _COLUMNS},
        tags=frozenset(tags),
        segment=row.segment,
        vip=bool(row.vip),
        attributes=row.attributes or {},
    )


def _last_reply(conversation_id):
    reply = aliased(Message)
    return (
        select(func.max(reply.created_at))
        .where(
            reply.conversation_id == conversation_id,
            reply.direction == Direction.outbound.value,
            reply.author_kind == AuthorKind.agent.value,
        )
        .scalar_subquery()
    )


def facts(session: Session, conversation_ids: Iterable[int]) -> dict[int, Facts]:
    """The instants clocks start from when a policy (re)applies: created, first and last reply by a person, the
    oldest customer message a person has not answered, the request for a person."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return {}
    last_reply = _last_reply(C.id)
    query = select(C.id, C.status, C.created_at, C.first_reply_at, C.human_requested_at, last_reply.label("last"))
    rows = list(session.execute(query.where(C.id.in_(ids))))
    waiting_query = (
        select(Message.conversation_id, func.min(Message.created_at))
        .where(
            Message.conversation_id.in_(ids),
            Message.direction == Direction.inbound.value,
            Message.created_at > func.coalesce(_last_reply(Message.conversation_id), EPOCH),
        )
        .group_by(Message.conversation_id)
    )
    waiting = dict(session.execute(waiting_query).all())
    return {
        r.id: Facts(
            status=r.status,
            created_at=r.created_at,
            first_reply_at=r.first_reply_at,
            last_reply_at=r.last,
            waiting_since=waiting.get(r.id),
            human_requested_at=r.human_requested_at,
        )
        for r in rows
    }
