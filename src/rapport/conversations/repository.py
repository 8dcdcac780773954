"""Every conversation query: lookups, the filtered inbox list, messages and the timeline."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import Integer, Row, and_, bindparam, exists, func, literal_column, or_, select, text, tuple_
from sqlalchemy.orm import Session

from rapport.conditions import sql
from rapport.conditions.model import Node
from rapport.db.types import json_array_agg
from rapport.kit.problems import NotFound
from rapport.models import Attachment, Category, Conversation, ConversationTag, Event, Message
from rapport.models.conversations import ACTIVE_SQL, PRIORITY_RANK_SQL, PRIORITY_RANKS
from rapport.models.enums import ACTIVE_STATUSES, Direction

_ACTIVE = {s.value for s in ACTIVE_STATUSES}
SORTS = {
    "updated_desc": (Conversation.updated_at, True),
    "updated_asc": (Conversation.updated_at, False),
    "created_desc": (Conversation.created_at, True),
    "created_asc": (Conversation.created_at, False),
    # Urgent first, then by last update: ix_conversations_active_priority (rank, updated_at, id) read backwards.
    "priority": (Conversation.updated_at, True),
}
PRIORITY_RANK = literal_column(PRIORITY_RANK_SQL, Integer)
# The predicate of `ix_conversations_active_due`, written as the index says it so both planners match it.
ACTIVE_DUE_SQL = f"{ACTIVE_SQL} AND sla_due_at IS NOT NULL"
RANKS = PRIORITY_RANKS


def get_row(session: Session, conversation_id: int) -> Row:
    """The conversation as a plain row with its `tag_list` (the read paths); NotFound when there is none."""
    row = session.connection().execute(_CONVERSATION_BY_ID, {"id": conversation_id}).first()
    if row is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    return row


# Tags ride along in the conversation's own query (a JSON array, unsorted): one round trip less per read.
_TAG_LIST = (
    select(json_array_agg(ConversationTag.tag))
    .where(ConversationTag.conversation_id == Conversation.id)
    .scalar_subquery()
    .label("tag_list")
)
# The category's name rides along too (the API gives it beside `category_id`).
_CATEGORY_NAME = (
    select(Category.name).where(Category.id == Conversation.category_id).scalar_subquery().label("category")
)
_CONVERSATION_BY_ID = select(*Conversation.__table__.c, _CATEGORY_NAME, _TAG_LIST).where(
    Conversation.id == bindparam("id")
)


def get(session: Session, conversation_id: int) -> Conversation:
    """The conversation; NotFound when there is none."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    return conv


def get_for_update(session: Session, conversation_id: int) -> Conversation:
    """The conversation, row-locked on PostgreSQL (SQLite writers are already serialised)."""
    conv = session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).one_or_none()
    if conv is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    return conv


def page(session: Session, condition: Node, *, sort: str, after: tuple | None, limit: int) -> list[Row]:
    """One page of the conversations meeting `condition` (plain rows with `category` and `tag_list`: lists are hot)
    by keyset, after `(sort value, id)` (`(updated_at, id, rank)` by priority, `(sla_due_at or None, id, updated_at)`
    by due); merged conversations are left out."""
    shape, params = sql.prepare(condition)
    params["limit"] = limit
    if sort == "due":
        return _due_page(session, shape, params, after, limit)
    if after is not None:
        params["after_value"], params["after_id"], *rank = after
        if sort == "priority":
            params["after_rank"] = rank[0]
    return session.connection().execute(_page_statement(sort, shape, after is not None), params).all()


@lru_cache(maxsize=512)
def _page_statement(sort: str, shape: tuple, keyset: bool):
    """The list query for one shape of condition, built once: values are bound at execution."""
    column, desc = SORTS[sort]
    query = select(*Conversation.__table__.c, _CATEGORY_NAME, _TAG_LIST).where(Conversation.merged_into_id.is_(None))
    if shape != sql.EMPTY:
        query = query.where(sql.clause(shape))
    if sort == "priority":
        key = (PRIORITY_RANK, Conversation.updated_at, Conversation.id)
        if keyset:
            bound = (bindparam("after_rank"), bindparam("after_value", type_=column.type), bindparam("after_id"))
            query = query.where(tuple_(*key) < tuple_(*bound))
        return query.order_by(*(k.desc() for k in key)).limit(bindparam("limit"))
    if keyset:
        value, last_id = bindparam("after_value", type_=column.type), bindparam("after_id")
        if desc:
            query = query.where(or_(column < value, and_(column == value, Conversation.id < last_id)))
        else:
            query = query.where(or_(column > value, and_(column == value, Conversation.id > last_id)))
    order = (column.desc(), Conversation.id.desc()) if desc else (column.asc(), Conversation.id.asc())
    return query.order_by(*order).limit(bindparam("limit"))


def due_key(row: Row) -> tuple[datetime | None, int, datetime]:
    """Where a row stands in the due order: its deadline when it is among the deadlines (an active conversation
    with one), else None (it is among the rest, by last update); then its id and last update."""
    running = row.status in _ACTIVE and row.sla_due_at is not None
    return (row.sla_due_at if running else None), row.id, row.updated_at


def _due_page(session: Session, shape: tuple, params: dict, after: tuple | None, limit: int) -> list[Row]:
    """Sort by due, as the inbox's "Due first": the active conversations with a deadline, nearest first by
    (sla_due_at, id), then the rest (no deadline, or finished) by last update, latest first.

    Two statements rather than one sort key, so each reads an index in order: the deadlines
    `ix_conversations_active_due` (its predicate written literally), the rest an index on updated_at. A cursor
    past the deadlines carries a null deadline and the row's `updated_at`.
    """
    in_rest = after is not None and after[0] is None
    rows: list[Row] = []
    conn = session.connection()
    if not in_rest:
        if after is not None:
            params["after_value"], params["after_id"] = after[0], after[1]
        rows += conn.execute(_due_statement("due", shape, after is not None), params).all()
    if len(rows) < limit:
        params["limit"] = limit - len(rows)
        if in_rest:
            params["after_value"], params["after_id"] = after[2], after[1]
        rows += conn.execute(_due_statement("rest", shape, in_rest), params).all()
    return rows


@lru_cache(maxsize=512)
def _due_statement(part: str, shape: tuple, keyset: bool):
    """One part of the due order for one shape of condition, built once: values are bound at execution."""
    query = select(*Conversation.__table__.c, _CATEGORY_NAME, _TAG_LIST).where(Conversation.merged_into_id.is_(None))
    if shape != sql.EMPTY:
        query = query.where(sql.clause(shape))
    due, updated, ident = Conversation.sla_due_at, Conversation.updated_at, Conversation.id
    if part == "due":
        query = query.where(text(ACTIVE_DUE_SQL))
        if keyset:
            value, last_id = bindparam("after_value", type_=due.type), bindparam("after_id")
            query = query.where(tuple_(due, ident) > tuple_(value, last_id))  # a row value: the index's bound
        return query.order_by(due.asc(), ident.asc()).limit(bindparam("limit"))
    query = query.where(or_(due.is_(None), Conversation.status.not_in(sorted(_ACTIVE))))
    if keyset:
        value, last_id = bindparam("after_value", type_=updated.type), bindparam("after_id")
        query = query.where(tuple_(updated, ident) < tuple_(value, last_id))
    return query.order_by(updated.desc(), ident.desc()).limit(bindparam("limit"))


def tags_for(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """Tags of several conversations in one query, each list sorted."""
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        rows = session.connection().execute(_TAGS_OF, {"ids": ids})
        for cid, tag in rows:
            out[cid].append(tag)
        for tags in out.values():
            if len(tags) > 1:
                tags.sort()
    return out


_TAGS_OF = select(ConversationTag.conversation_id, ConversationTag.tag).where(
    ConversationTag.conversation_id.in_(bindparam("ids", expanding=True))
)


def open_in_inbox(session: Session, customer_id: int, inbox_id: int) -> Conversation | None:
    """The customer's most recent active conversation in this inbox."""
    return session.scalars(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.inbox_id == inbox_id,
            Conversation.status.in_(ACTIVE_STATUSES),
            Conversation.merged_into_id.is_(None),
        )
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()


def message_by_external_id(session: Session, inbox_id: int, external_id: str) -> Message | None:
    """The message a provider already delivered with this id."""
    return session.scalars(
        select(Message).where(Message.inbox_id == inbox_id, Message.external_id == external_id)
    ).first()


# What the API shows of a message (meta and the in-flight delivery marker stay internal); plain rows: hot.
_MESSAGE_SHOWN = [c for c in Message.__table__.c if c.key not in ("meta", "delivery_sending_since")]


# Whether a message has attachments, read with it: most have none, and then their query is skipped.
_HAS_FILES = exists().where(Attachment.message_id == Message.id).label("has_files")


def latest_messages(session: Session, conversation_id: int, *, limit: int, before: int | None = None) -> list[Row]:
    """The newest `limit` messages (before a message id), oldest first, as plain rows ending in `has_files`."""
    params = {"conversation": conversation_id, "limit": limit}
    if before is not None:
        params["before"] = before
    rows = session.connection().execute(_LATEST[before is not None], params).all()
    rows.reverse()
    return rows


# The open's statements are built once, their values bound at execution: built on every call, a statement
# cost more to assemble and key for SQLAlchemy's cache than the database took to run it.
_LATEST = {
    paged: select(*_MESSAGE_SHOWN, _HAS_FILES)
    .where(Message.conversation_id == bindparam("conversation"), *([Message.id < bindparam("before")] if paged else []))
    .order_by(Message.id.desc())
    .limit(bindparam("limit"))
    for paged in (False, True)
}


def attachments_for(session: Session, message_ids: list[int]) -> dict[int, list[Row]]:
    """Attachments of several messages in one query, as plain rows."""
    out: dict[int, list[Row]] = {i: [] for i in message_ids}
    if message_ids:
        for att in session.connection().execute(_ATTACHMENTS_OF, {"ids": message_ids}):
            out[att.message_id].append(att)
    return out


_ATTACHMENTS_OF = select(*Attachment.__table__.c).where(Attachment.message_id.in_(bindparam("ids", expanding=True)))


def last_inbound_channel(session: Session, conversation_id: int) -> str | None:
    """The channel of the customer's latest inbound message: where replies go by default."""
    return session.scalar(
        select(Message.channel)
        .where(Message.conversation_id == conversation_id, Message.direction == Direction.inbound)
        .order_by(Message.id.desc())
        .limit(1)
    )


def timeline(session: Session, conversation_id: int, *, limit: int, after: int | None = None) -> list[Event]:
    """The conversation's events, oldest first, after an event id."""
    query = select(Event).where(Event.conversation_id == conversation_id)
    if after is not None:
        query = query.where(Event.id > after)
    return list(session.scalars(query.order_by(Event.id).limit(limit)))


def recent_timeline(session: Session, conversation_id: int, *, limit: int) -> list[Row]:
    """The newest `limit` events of a conversation, oldest first, as plain rows."""
    rows = session.connection().execute(_RECENT_EVENTS, {"conversation": conversation_id, "limit": limit}).all()
    rows.reverse()
    return rows


_RECENT_EVENTS = (
    select(*Event.__table__.c)
    .where(Event.conversation_id == bindparam("conversation"))
    .order_by(Event.id.desc())
    .limit(bindparam("limit"))
)


def contacts_between(session: Session, customer_id: int, start: datetime, end: datetime) -> int:
    """How many conversations the customer opened in [start, end] (merged ones not counted)."""
    return session.connection().execute(_CONTACTS, {"customer": customer_id, "start": start, "end": end}).scalar() or 0


_CONTACTS = select(func.count()).where(
    Conversation.customer_id == bindparam("customer"),
    Conversation.merged_into_id.is_(None),
    Conversation.created_at >= bindparam("start", type_=Conversation.created_at.type),
    Conversation.created_at <= bindparam("end", type_=Conversation.created_at.type),
)
