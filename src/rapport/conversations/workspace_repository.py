"""The agent workspace's queries: inbox lists and counts, a customer's other conversations, repeat contacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from rapport.conditions import sql
from rapport.conditions.model import All, Node
from rapport.models import Agent, Conversation, Customer, Event, Inbox, Message, SavedView, Team
from rapport.models.conversations import PRIORITY_RANK_SQL, SNOOZED_SQL


@dataclass
class InboxQuery:
    """What an inbox view shows: the conversations meeting its condition, in its order — newest first by "updated"
    or "created"; "priority": urgent first, newest first within a priority; "waiting": oldest inbound message first
    (docs/conditions.md); "due": nearest deadline first, those without one after them by last update; "due_soon":
    only those with a deadline, nearest first (the Due soon view); "snoozed": only snoozed ones, soonest wake first
    (the Snoozed view). Every view but Snoozed leaves snoozed conversations out."""

    condition: Node
    order: str = "updated"
    # Its top-level tests an index answers (status, inbox, team, assignee …) and the rest, checked row by row.
    indexed: All = field(init=False)
    others: All = field(init=False)

    def __post_init__(self) -> None:
        self.indexed, self.others = sql.split(self.condition)


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: strictly past the row with this (sort value, id), older ones, or newer when `newer`.
    In the "due" order the value is None past the deadlines, where rows go by `updated` (then id). In the
    "priority" order the page starts past (rank, value, id)."""

    value: datetime | None
    id: int
    newer: bool = False
    updated: datetime | None = None
    rank: int | None = None


# Written as the partial index `ix_conversations_active_due` says it, so the planner can prove the index holds the rows.
HAS_DUE_SQL = "sla_due_at IS NOT NULL"
ASCENDING = frozenset({"waiting", "due_soon", "snoozed"})
# The expression `ix_conversations_active_priority` is built on, repeated literally so both databases match it.
PRIORITY_RANK = literal_column(PRIORITY_RANK_SQL, Integer)


def _indexed(flt: InboxQuery) -> list:
    """The view's conditions an index answers; merged conversations left out unless the statuses already are.

    Snoozed conversations are left out of every view but Snoozed, by a test on the row (`snoozed_until IS NULL`)
    beside the view's own: its partial index stays the one read, in order."""
    out = [] if sql.within_active(flt.condition) else [Conversation.merged_into_id.is_(None)]
    if flt.indexed.all:
        out.insert(0, sql.bound(flt.indexed))
    if flt.order == "due_soon":
        out.append(text(HAS_DUE_SQL))
    if flt.order == "snoozed":
        out.append(text(SNOOZED_SQL))  # as `ix_conversations_snoozed` says it
    else:
        out.append(Conversation.snoozed_until.is_(None))
    return out


def _others(flt: InboxQuery, c) -> list:
    """The rest of the view's conditions, on columns `c` (the table's, or a subquery's): each row is checked."""
    if not flt.others.all:
        return []
    return [sql.bound(flt.others, None if c is Conversation.__table__.c else c)]


def sort_column(flt: InboxQuery):
    """The column a view is ordered by: the last inbound message (oldest first) when waiting, else updated_at or,
    when the agent asks for it, created_at (ix_conversations_created reads it in order), or the nearest deadline."""
    if flt.order == "waiting":
        return Conversation.last_inbound_at
    if flt.order in ("due", "due_soon"):
        return Conversation.sla_due_at
    if flt.order == "snoozed":
        return Conversation.snoozed_until
    return Conversation.created_at if flt.order == "created" else Conversation.updated_at


def listed():
    """Conversation rows as lists show them (inbox views, supervisor queues), with customer and assignee names."""
    return (
        select(
            Conversation.id,
            Conversation.subject,
            Conversation.status,
            Conversation.priority,
            Conversation.channel,
            Conversation.inbox_id,
            Conversation.assignee_id,
            Conversation.team_id,
            Conversation.last_inbound_at,
            Conversation.human_requested_at,
            Conversation.sla_due_at,
            Conversation.snoozed_until,
            Conversation.updated_at,
            Conversation.created_at,
            Conversation.message_count,
            Customer.name.label("customer_name"),
            Agent.name.label("assignee_name"),
        )
        .join(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(Agent, Agent.id == Conversation.assignee_id)
    )


def inbox_page(session: Session, flt: InboxQuery, *, limit: int, start: Keyset | None = None) -> list[Row]:
    """One page of a view by keyset, with the customer's and assignee's names; waiting views oldest inbound first,
    due orders nearest deadline first.

    Rows come in the view's order whichever way the page was reached, so a page of newer rows is read in
    reverse and turned round.
    """
    query = listed().where(*_indexed(flt), *_others(flt, Conversation.__table__.c))
    if flt.order == "due":
        return _due_page(session, query, limit=limit, start=start)
    column = sort_column(flt)
    ascending = flt.order in ASCENDING  # the view's own direction
    if start is not None and start.newer:
        ascending = not ascending  # read towards the newer end, nearest first
    if flt.order == "priority":
        query = _priority_order(query, start, ascending)
    else:
        if start is not None:
            past = column > start.value if ascending else column < start.value
            tie = Conversation.id > start.id if ascending else Conversation.id < start.id
            query = query.where(or_(past, and_(column == start.value, tie)))
        order = (column.asc(), Conversation.id.asc()) if ascending else (column.desc(), Conversation.id.desc())
        query = query.order_by(*order)
    rows = list(session.execute(query.limit(limit)))
    if start is not None and start.newer:
        rows.reverse()
    return rows


def _due_page(session: Session, query: Select, *, limit: int, start: Keyset | None) -> list[Row]:
    """Sort by due: the rows with a deadline, nearest first by (sla_due_at, id), then those without one in the
    view's usual order (latest update first).

    Two statements rather than one sort key, so each reads an index in order — the deadlines
    `ix_conversations_active_due` (its predicate written literally), the rest the view's own index — and a page
    never sorts the whole view. A page read backwards takes the parts the other way round.
    """
    due, updated, ident = Conversation.sla_due_at, Conversation.updated_at, Conversation.id
    forward = start is None or not start.newer
    in_rest = start is not None and start.value is None
    parts = ["due", "rest"] if forward else ["rest", "due"]
    rows: list[Row] = []
    for part in parts:
        if start is not None and (
            part == "due" and forward and in_rest or part == "rest" and not forward and not in_rest
        ):
            continue  # the cursor is past this part already
        if part == "due":
            page = query.where(text(HAS_DUE_SQL))
            if start is not None and not in_rest:
                past, tie = (due > start.value, ident > start.id) if forward else (due < start.value, ident < start.id)
                page = page.where(or_(past, and_(due == start.value, tie)))
            page = page.order_by(*((due.asc(), ident.asc()) if forward else (due.desc(), ident.desc())))
        else:
            page = query.where(due.is_(None))
            if in_rest:
                value = start.updated
                past, tie = (updated < value, ident < start.id) if forward else (updated > value, ident > start.id)
                page = page.where(or_(past, and_(updated == value, tie)))
            page = page.order_by(*((updated.desc(), ident.desc()) if forward else (updated.asc(), ident.asc())))
        rows += session.execute(page.limit(limit - len(rows)))
        if len(rows) >= limit:
            break
    if not forward:
        rows.reverse()
    return rows


def _priority_order(query: Select, start: Keyset | None, ascending: bool) -> Select:
    """Sort by priority: urgent first, newest activity first within a priority — `ix_conversations_active_priority`
    (rank, updated_at, id) read backwards; `ascending` reads it forwards (towards the newer page)."""
    key = (PRIORITY_RANK, Conversation.updated_at, Conversation.id)
    if start is not None:
        bound = tuple_(literal(start.rank), literal(start.value, Conversation.updated_at.type), literal(start.id))
        query = query.where(tuple_(*key) > bound if ascending else tuple_(*key) < bound)
    return query.order_by(*(k.asc() if ascending else k.desc() for k in key))


def inbox_counts(session: Session, flts: list[InboxQuery], *, cap: int, scan: int) -> list[tuple[int, bool]]:
    """How many conversations each view holds, and whether there may be more than that.

    A count stops at `cap`. A view with conditions no index answers (channel, tag, segment …) checks its `scan`
    most recent conversations and counts the matches among them: a lower bound. So no count costs more than a
    fixed number of rows however large the view, and the plain ones are read in one statement.
    """
    plain = [f for f in flts if not _checked(f)]
    found: dict[int, tuple[int, bool]] = {}
    if plain:
        for f, n in zip(plain, session.execute(_counts_statement(plain, cap)).one(), strict=True):
            found[id(f)] = (min(n, cap), n > cap)
    for f in flts:
        if _checked(f):
            found[id(f)] = _scanned_count(session, f, cap=cap, scan=scan)
    return [found[id(f)] for f in flts]


_COUNTS: dict[tuple, Select] = {}
COUNTS_KEPT = 512  # count statements kept (a few per agent: the built-in views and their saved ones)


def _counts_statement(plain: list[InboxQuery], cap: int) -> Select:
    """One statement counting each view, built once per set of views: an inbox page asks for the same counts again
    and again, and building and keying a statement of a dozen subqueries cost more than running it."""
    key = (cap, *((repr(f.condition), f.order) for f in plain))
    statement = _COUNTS.get(key)
    if statement is None:
        counts = [
            select(func.count())
            .select_from(select(Conversation.id).where(*_indexed(f)).limit(cap + 1).subquery())
            .scalar_subquery()
            for f in plain
        ]
        if len(_COUNTS) >= COUNTS_KEPT:
            _COUNTS.clear()  # rare (many agents' saved views): start again rather than track recency
        statement = _COUNTS[key] = select(*counts)
    return statement


def _checked(flt: InboxQuery) -> bool:
    return bool(flt.others.all)


def _scanned_count(session: Session, flt: InboxQuery, *, cap: int, scan: int) -> tuple[int, bool]:
    column = sort_column(flt)
    scanned = (
        select(*(Conversation.__table__.c[name] for name in sorted(sql.columns(flt.others) | {"id"})))
        .where(*_indexed(flt))
        .order_by(column.desc(), Conversation.id.desc())  # the newest: read along the view's index, not the table
        .limit(scan + 1)
        .subquery("scanned")
    )
    matched = func.count(case((and_(*_others(flt, scanned.c)), 1)))
    rows, n = session.execute(select(func.count(), matched).select_from(scanned)).one()
    return min(n, cap), n > cap or rows > scan


def saved_views(session: Session, agent_id: int) -> list[SavedView]:
    """An agent's saved views, by name."""
    return list(session.scalars(select(SavedView).where(SavedView.agent_id == agent_id).order_by(SavedView.name)))


def saved_view(session: Session, agent_id: int, view_id: int) -> SavedView | None:
    """One of the agent's saved views."""
    return session.scalar(select(SavedView).where(SavedView.id == view_id, SavedView.agent_id == agent_id))


def customer_conversations(session: Session, customer_id: int, *, limit: int) -> list[Row]:
    """The customer's conversations, newest first (merged ones left out)."""
    return list(
        session.execute(
            select(
                Conversation.id,
                Conversation.subject,
                Conversation.status,
                Conversation.channel,
                Conversation.created_at,
            )
            .where(Conversation.customer_id == customer_id, Conversation.merged_into_id.is_(None))
            .order_by(Conversation.created_at.desc(), Conversation.id.desc())
            .limit(limit)
        )
    )


def all_messages(session: Session, conversation_id: int, *, limit: int) -> list[Message]:
    """The conversation's messages, oldest first (the newest `limit`)."""
    rows = list(
        session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(limit)
        )
    )
    rows.reverse()
    return rows


def events_of(session: Session, conversation_id: int, names_excluded: set[str], *, limit: int) -> list[Event]:
    """The conversation's events other than the excluded names, oldest first (the newest `limit`)."""
    rows = list(
        session.scalars(
            select(Event)
            .where(Event.conversation_id == conversation_id, Event.name.not_in(names_excluded))
            .order_by(Event.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return rows


def agent_names(session: Session) -> dict[int, str]:
    """Every agent's name by id (events name who did what)."""
    return {r.id: r.name for r in session.execute(select(Agent.id, Agent.name))}


def agent_rows(session: Session) -> list[Row]:
    """Every agent as a light row (id, name, email, active), by name: what pages list and name."""
    return list(session.execute(select(Agent.id, Agent.name, Agent.email, Agent.active).order_by(Agent.name)))


def team_rows(session: Session) -> list[Row]:
    """Every team as a light row (id, name), by name."""
    return list(session.execute(select(Team.id, Team.name).order_by(Team.name)))


def inbox_rows(session: Session) -> list[Row]:
    """Every inbox as a light row (id, name), by name."""
    return list(session.execute(select(Inbox.id, Inbox.name).order_by(Inbox.name)))


def segments(session: Session, *, limit: int) -> list[str]:
    """The customer segments in use, alphabetically: one index probe per segment (a loose index scan)."""
    found = select(func.min(Customer.segment).label("v")).cte("segments", recursive=True)
    following = select(func.min(Customer.segment)).where(Customer.segment > found.c.v).scalar_subquery()
    found = found.union_all(select(following).where(found.c.v.is_not(None)))
    return list(session.scalars(select(found.c.v).where(found.c.v.is_not(None)).limit(limit)))


PREVIEW_CHARS = 200  # enough for a list row's line or two; the database cuts, so a long email is not read whole


def _end_messages(end) -> Select:
    """The first (min) or latest (max) message of each of the conversations bound as `ids`, its text cut short.

    Built once: the statement is the same for every page (the ids are an expanding parameter), so SQLAlchemy
    compiles it once and the inbox pays only for running it; the inner GROUP BY reads ix_messages_conversation
    alone, the outer read is by primary key.
    """
    ends = (
        select(end(Message.id))
        .where(Message.conversation_id.in_(bindparam("ids", expanding=True)))
        .group_by(Message.conversation_id)
    )
    return (
        select(
            Message.conversation_id,
            Message.direction,
            func.substr(Message.body_text, 1, PREVIEW_CHARS).label("text"),
            Agent.name.label("agent_name"),
        )
        .outerjoin(Agent, Agent.id == Message.agent_id)
        .where(Message.id.in_(ends))
    )


_LATEST, _FIRST = _end_messages(func.max), _end_messages(func.min)


def latest_messages(session: Session, conversation_ids: list[int]) -> dict[int, Row]:
    """The latest message of each conversation (direction, text cut short, the agent's name)."""
    if not conversation_ids:
        return {}
    return {r.conversation_id: r for r in session.execute(_LATEST, {"ids": conversation_ids})}


def first_messages(session: Session, conversation_ids: list[int]) -> dict[int, Row]:
    """The first message of each conversation (for a subject where the channel has none)."""
    if not conversation_ids:
        return {}
    return {r.conversation_id: r for r in session.execute(_FIRST, {"ids": conversation_ids})}
