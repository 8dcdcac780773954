"""Every customer query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, case, func, select, tuple_
from sqlalchemy.orm import Session

from rapport.kit.problems import NotFound
from rapport.models import Agent, Conversation, Customer, Event, Identity, Inbox, Message
from rapport.models.enums import ACTIVE_STATUSES

# A position in the conversations' (updated_at, id) order: where a keyset page starts or ends.
Position = tuple[datetime, int]


def get(session: Session, customer_id: int) -> Customer:
    """The customer, following merges; NotFound when there is none."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.")
    while customer.merged_into_id:
        customer = session.get(Customer, customer.merged_into_id)
    return customer


def by_identity(session: Session, kind: str, address: str) -> Customer | None:
    """The customer owning an (already normalised) identity."""
    row = session.execute(
        select(Customer)
        .join(Identity, Identity.customer_id == Customer.id)
        .where(Identity.kind == kind, Identity.address == address)
    ).scalar_one_or_none()
    return row


def identities(session: Session, customer_ids: list[int]) -> dict[int, list[Identity]]:
    """Identities of several customers in one query."""
    out: dict[int, list[Identity]] = {cid: [] for cid in customer_ids}
    if customer_ids:
        rows = session.scalars(select(Identity).where(Identity.customer_id.in_(customer_ids)).order_by(Identity.id))
        for ident in rows:
            out[ident.customer_id].append(ident)
    return out


def page(
    session: Session, *, after: int | None, limit: int, segment: str | None = None, email: str | None = None
) -> list[Customer]:
    """Customers by id, newest first, optionally by segment or exact email."""
    query = select(Customer).where(Customer.merged_into_id.is_(None))
    if segment:
        query = query.where(Customer.segment == segment)
    if email:
        query = query.join(Identity, Identity.customer_id == Customer.id).where(
            Identity.kind == "email", Identity.address == email.strip().lower()
        )
    if after is not None:
        query = query.where(Customer.id < after)
    return list(session.scalars(query.order_by(Customer.id.desc()).limit(limit)))


def timeline(session: Session, customer_id: int, *, before: int | None, limit: int) -> list[Event]:
    """The customer's events across conversations and channels, newest first."""
    query = select(Event).where(Event.customer_id == customer_id)
    if before is not None:
        query = query.where(Event.id < before)
    return list(session.scalars(query.order_by(Event.id.desc()).limit(limit)))


def by_ids(session: Session, customer_ids: list[int]) -> dict[int, Customer]:
    """Customers by id, in one query."""
    if not customer_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}


def recently_active(
    session: Session, *, after: Position | None, limit: int, scan: int, chunk: int = 200
) -> tuple[list[int], Position | None]:
    """Customers by their latest conversation activity, newest first: one page of ids and where the next starts.

    Walks conversations down the (updated_at, id) index and keeps each customer the first time it is met, so a
    page costs about as many index entries as it shows, however many customers there are. A customer met past
    `after` but active before it was shown on an earlier page and is passed over. At most `scan` conversations
    are read for one page: a page may then be short, and the returned position carries on from there. The
    position is None when the walk reached the oldest conversation.
    """
    C = Conversation
    shown: list[tuple[int, Position]] = []
    seen: set[int] = set()
    position = after
    read = 0
    while read < scan:
        query = select(C.id, C.customer_id, C.updated_at).order_by(C.updated_at.desc(), C.id.desc())
        if position is not None:
            query = query.where(tuple_(C.updated_at, C.id) < tuple_(*position))
        wanted = min(chunk, scan - read)
        rows = session.execute(query.limit(wanted)).all()
        read += len(rows)
        if after is not None:
            seen |= _active_since(session, {r.customer_id for r in rows} - seen, after)
        for row in rows:
            position = (row.updated_at, row.id)
            if row.customer_id in seen:
                continue
            seen.add(row.customer_id)
            shown.append((row.customer_id, position))
            if len(shown) > limit:  # one more than a page: the page ends at the one before
                return [cid for cid, _ in shown[:limit]], shown[limit - 1][1]
        if len(rows) < wanted:  # the oldest conversation was read
            return [cid for cid, _ in shown], None
    return [cid for cid, _ in shown], position


def _active_since(session: Session, customer_ids: set[int], after: Position) -> set[int]:
    """Which of these customers have a conversation later than `after` in the (updated_at, id) order."""
    if not customer_ids:
        return set()
    C = Conversation
    query = select(C.customer_id).where(C.customer_id.in_(customer_ids), tuple_(C.updated_at, C.id) > tuple_(*after))
    return set(session.scalars(query.distinct()))


@dataclass(frozen=True)
class Activity:
    """A customer's conversations in numbers: when they last wrote, how many are open, how many in all."""

    last_contact: datetime | None = None
    open: int = 0
    total: int = 0


def activity(session: Session, customer_ids: list[int]) -> dict[int, Activity]:
    """Last contact and open / total conversation counts of several customers, in one grouped query."""
    out = {cid: Activity() for cid in customer_ids}
    if not customer_ids:
        return out
    C = Conversation
    active = [s.value for s in ACTIVE_STATUSES]
    is_open = case((C.status.in_(active) & C.merged_into_id.is_(None), 1), else_=0)
    rows = session.execute(
        select(C.customer_id, func.max(C.last_inbound_at), func.sum(is_open), func.count())
        .where(C.customer_id.in_(customer_ids))
        .group_by(C.customer_id)
    )
    for cid, last, open_, total in rows:
        out[cid] = Activity(last, int(open_ or 0), int(total))
    return out


def conversations_of(session: Session, customer_id: int, *, after: Position | None, limit: int) -> list[Row]:
    """The customer's conversations, any channel and status, latest activity first, from `after` on."""
    C = Conversation
    query = (
        select(
            C.id,
            C.subject,
            C.status,
            C.channel,
            C.merged_into_id,
            C.message_count,
            C.created_at,
            C.updated_at,
            Inbox.name.label("inbox_name"),
            Agent.name.label("assignee_name"),
        )
        .join(Inbox, Inbox.id == C.inbox_id)
        .outerjoin(Agent, Agent.id == C.assignee_id)
        .where(C.customer_id == customer_id)
        .order_by(C.updated_at.desc(), C.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(C.updated_at, C.id) < tuple_(*after))
    return list(session.execute(query))


def message_channels(session: Session, conversation_ids: list[int]) -> dict[int, list[str]]:
    """The channels each conversation's messages travelled on (a conversation may span several)."""
    out: dict[int, list[str]] = {cid: [] for cid in conversation_ids}
    if conversation_ids:
        rows = session.execute(
            select(Message.conversation_id, Message.channel)
            .where(Message.conversation_id.in_(conversation_ids))
            .group_by(Message.conversation_id, Message.channel)
            .order_by(Message.conversation_id, Message.channel)
        )
        for cid, channel in rows:
            out[cid].append(channel)
    return out


def merged_sources(session: Session, customer_id: int) -> list[int]:
    """The customers merged into this one, directly or through another merge, read from `customer.merged` events.

    The event log keeps a merged customer's history under its own id; the survivor's `customer.merged` events
    (through the customer index) name them, where a search of customers.merged_into_id would read every customer.
    """
    found: list[int] = []
    frontier = [customer_id]
    while frontier:
        rows = session.scalars(
            select(Event.payload).where(Event.customer_id.in_(frontier), Event.name == "customer.merged")
        )
        known = {customer_id, *found}
        fresh = {p["source_id"] for p in rows if p.get("target_id") in frontier and p.get("source_id") not in known}
        found += sorted(fresh)
        frontier = sorted(fresh)
    return found


def events_of(session: Session, customer_ids: list[int], *, before: int | None, limit: int) -> list[Event]:
    """Events of these customers (one, and those merged into it), newest first, before event id `before`."""
    query = select(Event).where(Event.customer_id.in_(customer_ids))
    if before is not None:
        query = query.where(Event.id < before)
    return list(session.scalars(query.order_by(Event.id.desc()).limit(limit)))
