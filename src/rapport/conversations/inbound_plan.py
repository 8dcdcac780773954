"""The read half of receiving a batch: check each message, then look up what it touches, a statement per step.

Nothing is written here. Each item ends with either a problem (its outcome), or the customer and the
conversation it goes to, the conversation's state as the batch will leave it, and the events to record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.conversations import attachments
from rapport.conversations.inbound_queries import statements
from rapport.conversations.inbound_types import Inbound, Received
from rapport.conversations.lifecycle import bulk as lifecycle
from rapport.conversations.lifecycle import merges
from rapport.conversations.lifecycle.core import Lifecycle
from rapport.customers.identities import normalise
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import html as htmlkit
from rapport.kit.clock import now
from rapport.kit.headers import one_line
from rapport.kit.problems import Conflict, Invalid, NotFound, Problem, TooLarge
from rapport.models import Customer
from rapport.models.enums import Status


@dataclass(eq=False)
class CustomerRef:
    """A customer the batch writes to: an existing id, or one to create (its id set when inserted)."""

    id: int | None
    kind: str = ""
    address: str = ""
    name: str = ""
    actor: Actor | None = None


@dataclass(eq=False)
class ConvState:
    """A conversation as the batch leaves it: a locked snapshot (or a new row) plus the batch's changes."""

    id: int | None
    customer: CustomerRef
    inbox_id: int
    life: Lifecycle  # status and times, changed only by the lifecycle (conversations.lifecycle.bulk)
    created_at: datetime | None = None
    merged_into_id: int | None = None
    new: bool = False
    added: int = 0
    subject: str = ""
    channel: str = ""
    team_id: int | None = None
    follow_up_of: int | None = None
    actor: Actor | None = None
    sender_unverified: bool = False

    @property
    def status(self) -> str:
        """The status as the batch leaves it so far."""
        return self.life.status


@dataclass(eq=False)
class PlanItem:
    """One message on its way in."""

    actor: Actor
    msg: Inbound
    outcome: Received | Problem | None = None
    address: str = ""
    text: str = ""
    html: str | None = None
    stamp: datetime | None = None
    inbox: object = None
    channel: str = ""
    customer: CustomerRef | None = None
    conv: ConvState | None = None
    new_conversation: bool = False
    duplicate_of: PlanItem | None = None
    status_events: list[tuple[str, dict]] = field(default_factory=list)
    message_id: int | None = None
    lives: tuple[Lifecycle, Lifecycle] | None = None  # the conversation's state before and after this message


@dataclass
class Plan:
    """Everything the write half needs."""

    items: list[PlanItem]
    customers: list[CustomerRef] = field(default_factory=list)
    convs: list[ConvState] = field(default_factory=list)
    # New identities of existing customers: a WhatsApp number or a phone number they already have as the other.
    linked: list[tuple[CustomerRef, str, str]] = field(default_factory=list)

    def pending(self) -> list[PlanItem]:
        """Items still on their way (no outcome, not a repeat of another item)."""
        return [p for p in self.items if p.outcome is None and p.duplicate_of is None]


def _split(pairs, first: str, second: str) -> dict:
    """A set of pairs bound as the two key lists of an inbound_queries lookup."""
    pairs = list(pairs)
    return {first: list({x for x, _ in pairs}), second: list({y for _, y in pairs})}


def plan_batch(session: Session, items: list[tuple[Actor, Inbound]]) -> Plan:
    """Check every message and look up its inbox, customer and conversation."""
    conn = session.connection()
    plan = Plan(items=[PlanItem(actor=a, msg=m) for a, m in items])
    for item in plan.items:
        try:
            _check(item)
        except Problem as problem:
            item.outcome = problem
    for step in (_replays, _inboxes, _repeats, _customers, _threads):
        live = plan.pending()
        if not live:
            break
        step(conn, plan, live)
    return plan


def prepare(msg: Inbound) -> None:
    """Sanitise `msg`'s HTML (TooLarge past RAPPORT_MAX_HTML_CHARS or _DEPTH) and derive its text: call it before
    the transaction, on a thread that is not the event loop, so the sanitiser's CPU holds no lock."""
    if msg.html and not msg.html_sanitized:
        msg.html = htmlkit.sanitize_bounded(msg.html)
        msg.html_sanitized = True
    if msg.text is None and msg.html:
        msg.text = htmlkit.to_text(msg.html)


def _check(item: PlanItem) -> None:
    msg, limit = item.msg, get_settings().max_message_chars
    authorize(item.actor, "messages.inbound")
    item.address = normalise(msg.sender_kind, msg.sender_address)
    if not (msg.text or msg.html or msg.files):
        raise Invalid(
            "A message needs text, html or at least one attachment.",
            errors=[{"field": "text", "message": "empty message"}],
        )
    if msg.html and not msg.html_sanitized:
        prepare(msg)  # a caller that did not prepare it: bounded all the same, if inside its transaction
    item.html = msg.html or None
    item.text = msg.text if msg.text is not None else htmlkit.to_text(item.html or "")
    if len(item.text) > limit or len(item.html or "") > limit * 2:
        raise TooLarge(
            f"The message body has {len(item.text)} characters; the limit is {limit} (RAPPORT_MAX_MESSAGE_CHARS).",
            limit=limit,
            setting="RAPPORT_MAX_MESSAGE_CHARS",
        )
    attachments.check(msg.files)
    item.stamp = msg.received_at or now()


def _replays(conn: Connection, plan: Plan, live: list[PlanItem]) -> None:
    keyed = [p for p in live if p.msg.idempotency]
    if not keyed:
        return
    pairs = {(p.msg.idempotency[0], p.msg.idempotency[1]) for p in keyed}
    stored = {(r.scope, r.key): r for r in conn.execute(statements(conn).stored_keys, _split(pairs, "scopes", "keys"))}
    first: dict[tuple, PlanItem] = {}
    for p in keyed:
        scope, key, digest = p.msg.idempotency
        row = stored.get((scope, key))
        earlier = first.setdefault((scope, key), p)
        if row is None and earlier is p:
            continue
        if (row.request_hash if row is not None else earlier.msg.idempotency[2]) != digest:
            p.outcome = Invalid(
                f"Idempotency-Key '{key}' was already used with a different request body; "
                "use a new key for a new message.",
                errors=[{"field": "Idempotency-Key"}],
            )
        elif row is not None:
            p.outcome = Received(**row.response, replayed=True)
        else:
            p.duplicate_of = earlier


def _inboxes(conn: Connection, plan: Plan, live: list[PlanItem]) -> None:
    ids = list({p.msg.inbox_id for p in live})
    found = {r.id: r for r in conn.execute(statements(conn).inboxes, {"ids": ids})}
    for p in live:
        p.inbox = found.get(p.msg.inbox_id)
        if p.inbox is None:
            p.outcome = NotFound(f"There is no inbox {p.msg.inbox_id}.")
        else:
            p.channel = p.msg.channel or p.inbox.channel


def _repeats(conn: Connection, plan: Plan, live: list[PlanItem]) -> None:
    """A provider's id seen before (in the database or earlier in this batch) is the same message."""
    keyed = [p for p in live if p.msg.external_id]
    if not keyed:
        return
    pairs = list({(p.inbox.id, p.msg.external_id) for p in keyed})
    seen = {
        (r.inbox_id, r.external_id): r
        for r in conn.execute(statements(conn).seen, _split(pairs, "inbox_ids", "external_ids"))
    }
    first: dict[tuple, PlanItem] = {}
    for p in keyed:
        pair = (p.inbox.id, p.msg.external_id)
        row = seen.get(pair)
        if row is not None:
            p.outcome = Received(row.id, row.conversation_id, row.customer_id, False, duplicate=True)
        elif first.setdefault(pair, p) is not p:
            p.duplicate_of = first[pair]


def _customers(conn: Connection, plan: Plan, live: list[PlanItem]) -> None:
    wanted = {(p.msg.sender_kind, p.address) for p in live}
    rows = conn.execute(statements(conn).identities, _split(wanted, "kinds", "addresses"))
    refs: dict[tuple, CustomerRef] = {}
    for r in rows:
        if (r.kind, r.address) not in wanted:  # the two INs match a superset of the pairs
            continue
        refs[(r.kind, r.address)] = CustomerRef(id=_surviving(conn, r.merged_into_id) or r.customer_id)
    _link_numbers(conn, plan, {k for k in wanted if k not in refs}, refs)
    for p in live:
        key = (p.msg.sender_kind, p.address)
        if key not in refs:
            refs[key] = CustomerRef(
                id=None, kind=key[0], address=key[1], name=one_line(p.msg.sender_name)[:200], actor=p.actor
            )
            plan.customers.append(refs[key])
        p.customer = refs[key]


# A phone number proven by its channel (an SMS or call from it, a WhatsApp account on it) links to the customer
# who has the same number on the other channel: one customer across SMS, phone and WhatsApp.
_NUMBER_KINDS = {"phone": "whatsapp", "whatsapp": "phone"}


def _siblings(kind: str, address: str) -> list[tuple[str, str]]:
    """The same number as the other kind would store it (WhatsApp ids are kept as sent, with or without '+')."""
    digits = address.removeprefix("+")
    if kind == "phone":
        return [("whatsapp", digits), ("whatsapp", "+" + digits)]
    return [("phone", "+" + digits)]


def _link_numbers(conn: Connection, plan: Plan, unknown: set, refs: dict) -> None:
    candidates = {key: _siblings(*key) for key in unknown if key[0] in _NUMBER_KINDS}
    wanted = {s for sibs in candidates.values() for s in sibs}
    if not wanted:
        return
    found = {
        (r.kind, r.address): _surviving(conn, r.merged_into_id) or r.customer_id
        for r in conn.execute(statements(conn).identities, _split(wanted, "kinds", "addresses"))
    }
    for key, sibs in candidates.items():
        owner = next((found[s] for s in sibs if s in found), None)
        if owner is not None:
            refs[key] = CustomerRef(id=owner)
            plan.linked.append((refs[key], *key))


def _surviving(conn: Connection, merged_into: int | None) -> int | None:
    # Merges move identities, so a chain here is only what an interrupted merge could leave.
    C2 = Customer.__table__.c
    while merged_into:
        nxt = conn.execute(select(C2.merged_into_id).where(C2.id == merged_into)).scalar()
        if not nxt:
            return merged_into
        merged_into = nxt
    return None


def _threads(conn: Connection, plan: Plan, live: list[PlanItem]) -> None:
    """Explicit reference first, then the message replied to, then the customer's active conversation here."""
    states: dict[int, ConvState] = {}
    customers = {p.customer.id: p.customer for p in live if p.customer.id is not None}
    refs = _reply_targets(conn, live)
    explicit = {p.msg.conversation_id for p in live if p.msg.conversation_id}
    mentions = {
        id(p): _mentions(p.text)
        for p in live
        if p.customer.id is not None and not p.msg.conversation_id and not p.msg.in_reply_to
    }
    mentioned = set().union(*mentions.values()) if mentions else set()
    _load(conn, states, explicit | set(refs.values()) | mentioned, customers)
    known = [p.customer.id for p in live if p.customer.id is not None]
    active: dict[tuple, ConvState] = {}
    if known:
        rows = conn.execute(statements(conn).active, {"customer_ids": list(set(known))})
        for row in sorted(rows, key=lambda r: (r.updated_at, r.id)):
            state = states[row.id] if row.id in states else states.setdefault(row.id, _state(row, customers))
            active[(state.customer.id, state.inbox_id)] = state  # the latest wins
    for p in live:
        try:
            _place(conn, plan, p, states, active, refs, mentions.get(id(p), ()))
        except Problem as problem:
            p.outcome = problem


def _reply_targets(conn: Connection, live: list[PlanItem]) -> dict[tuple, int]:
    wanted = [(p.inbox.id, p.msg.in_reply_to) for p in live if p.msg.in_reply_to and not p.msg.conversation_id]
    if not wanted:
        return {}
    return {
        (r.inbox_id, r.external_id): r.conversation_id
        for r in conn.execute(statements(conn).seen, _split(wanted, "inbox_ids", "external_ids"))
    }


def _load(conn: Connection, states: dict[int, ConvState], ids: set, customers: dict[int, CustomerRef]) -> None:
    """The conversations `ids` name and those they were merged into (merges.follow)."""

    def fetch(wanted: set[int]) -> list[ConvState]:
        return [_state(row, customers) for row in conn.execute(statements(conn).by_id, {"ids": list(wanted)})]

    states.update(merges.follow(fetch, ids, states))


def _state(row, customers: dict[int, CustomerRef]) -> ConvState:
    customer = customers.get(row.customer_id)
    return ConvState(
        id=row.id,
        customer=customer or CustomerRef(id=row.customer_id),
        inbox_id=row.inbox_id,
        team_id=row.team_id,
        life=Lifecycle(
            id=row.id,
            status=row.status,
            updated_at=row.updated_at,
            reopen_count=row.reopen_count,
            solved_at=row.solved_at,
            first_reply_at=row.first_reply_at,
        ),
        merged_into_id=row.merged_into_id,
    )


def _place(conn, plan: Plan, p: PlanItem, states: dict, active: dict, refs: dict, mentions=()) -> None:
    if p.msg.unverified_sender:
        # A new conversation of its own, kept out of `active`: the customer's next authenticated message still
        # goes to their own conversation, never to this one by default.
        conv = _new(plan, p, follow_up_of=None)
        conv.sender_unverified = True
        _join(p, conv)
        return
    conv = None
    if p.msg.conversation_id is not None:
        conv = states.get(p.msg.conversation_id)
        if conv is None:
            raise NotFound(f"There is no conversation {p.msg.conversation_id}.")
    elif p.msg.in_reply_to:
        conv = states.get(refs.get((p.inbox.id, p.msg.in_reply_to)))
    else:
        conv = _referenced(states, p, mentions)
    if conv is not None:
        conv = merges.surviving(states, conv.id)
    if conv is not None and conv.customer is not p.customer and conv.customer.id != p.customer.id:
        raise Conflict(
            f"Conversation {conv.id} belongs to another customer; a message from "
            f"'{p.msg.sender_address}' cannot be added to it."
        )
    if conv is None:
        conv = active.get((p.customer.id, p.inbox.id)) if p.customer.id else active.get((id(p.customer), p.inbox.id))
    if conv is None or conv.status == Status.closed:
        conv = _new(plan, p, follow_up_of=conv.id if conv else None)
        active[(p.customer.id or id(p.customer), p.inbox.id)] = conv
    _join(p, conv)


def _join(p: PlanItem, conv: ConvState) -> None:
    """The message joins `conv`: the lifecycle reopens what waited on the customer and moves the times."""
    p.conv = conv
    conv.added += 1
    before = conv.life
    conv.life, p.status_events = lifecycle.receive(conv.life, p.stamp)
    p.lives = (before, conv.life)


# "#1234" or "[#1234]" in what the customer wrote: the conversation number they refer to.
_MENTION = re.compile(r"(?<![\w#&])#(\d{1,12})\b")
MAX_MENTIONS = 3


def _mentions(text: str) -> tuple[int, ...]:
    """Conversation numbers a message mentions, at most MAX_MENTIONS, in order."""
    found: list[int] = []
    for match in _MENTION.finditer(text[:2000]):
        number = int(match.group(1))
        if number not in found:
            found.append(number)
            if len(found) == MAX_MENTIONS:
                break
    return tuple(found)


def _referenced(states: dict, p: PlanItem, mentions) -> ConvState | None:
    """The first mentioned conversation that is the sender's own and still open to messages, whatever its channel."""
    for number in mentions:
        conv = merges.surviving(states, number)
        if conv is not None and conv.customer.id == p.customer.id and conv.status != Status.closed:
            return conv
    return None


def _new(plan: Plan, p: PlanItem, *, follow_up_of: int | None) -> ConvState:
    conv = ConvState(
        id=None,
        customer=p.customer,
        inbox_id=p.inbox.id,
        life=lifecycle.opened(p.stamp),
        created_at=p.stamp,
        new=True,
        subject=one_line(p.msg.subject)[:500],
        channel=p.channel,
        team_id=p.inbox.team_id,
        follow_up_of=follow_up_of,
        actor=p.actor,
    )
    plan.convs.append(conv)
    p.new_conversation = True
    return conv
