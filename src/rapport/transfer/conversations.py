"""One batch of conversations with their messages, customers and events: planned, then applied in bulk.

plan() does every lookup and builds every row; it can run on a reading connection while the previous batch
is still being written, so Python's work overlaps the database's. apply() writes the rows in one
transaction. A plan made outside the transaction may be stale (another writer took its ids on SQLite, or it
appends to existing conversations, which must be read under lock); write() then plans again inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter

from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.conversations.lifecycle import bulk as lifecycle
from rapport.models.enums import ACTIVE_STATUSES
from rapport.transfer.directory import Directory
from rapport.transfer.records import ConversationSpec, MessageSpec
from rapport.transfer.report import Outcome
from rapport.transfer.store import Store

CUSTOMER_COLUMNS = (
    "id", "name", "company", "language", "timezone", "segment", "vip", "attributes", "created_at", "updated_at",
)  # fmt: skip
IDENTITY_COLUMNS = ("id", "customer_id", "kind", "address", "verified", "created_at")
CONVERSATION_COLUMNS = (
    "id", "subject", "status", "priority", "channel", "inbox_id", "customer_id", "assignee_id", "team_id",
    "category_id", "custom_fields", "reopen_count", "message_count", "source_ref", "last_message_at",
    "last_inbound_at", "first_reply_at", "solved_at", "closed_at", "created_at", "updated_at",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "conversation_id", "direction", "channel", "author_kind", "customer_id", "agent_id", "inbox_id",
    "external_id", "body_text", "body_html", "delivery_status", "meta", "created_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "name", "occurred_at", "actor_kind", "actor_id", "conversation_id", "customer_id", "message_id", "payload",
    "inbox_id", "team_id",
)  # fmt: skip
APPEND_COLUMNS = ("message_count", "last_message_at", "last_inbound_at", "first_reply_at", "updated_at")

MESSAGE_EVENT = {"inbound": "message.received", "outbound": "message.sent", "note": "note.added"}


class Stale(Exception):
    """A plan made outside the transaction can no longer be applied as it is."""


@dataclass(slots=True)
class _Target:
    """Where a spec's messages go: a new or an existing conversation."""

    spec: ConversationSpec
    inbox_id: int
    channel: str
    customer_id: int = 0
    team_id: int | None = None
    assignee_id: int | None = None
    category: int | str | None = None  # its id, or its name while the category is still to be added
    existing: tuple | None = None
    messages: list[MessageSpec] = field(default_factory=list)
    kept: list[MessageSpec] = field(default_factory=list)


@dataclass
class Plan:
    """Every row one batch will write, in insert order, and what the batch will report once committed."""

    specs: list[ConversationSpec]
    tables: list[tuple[str, tuple[str, ...], list[tuple]]] = field(default_factory=list)
    updates: list[tuple] = field(default_factory=list)
    first_ids: dict[str, int] = field(default_factory=dict)
    outcome: Outcome = field(default_factory=Outcome)
    created: dict[tuple[str, str], int] = field(default_factory=dict)
    refs: set[str] = field(default_factory=set)
    appends: bool = False
    # Category names no category has yet: apply() adds them and puts their ids in the rows.
    new_categories: set[str] = field(default_factory=set)


class _Events:
    """Event rows in the order they happened, each a list whose id (first item) is filled in once known.

    Events of a conversation carry its inbox and team (`here`, set for each conversation in turn).
    """

    def __init__(self):
        self.rows: list[list] = []
        self.here: tuple[int | None, int | None] = (None, None)

    def add(self, occurred, name: str, conv: int | None, customer: int | None, msg: int | None, payload: str) -> None:
        place = self.here if conv is not None else (None, None)
        self.rows.append([None, name, occurred, "import", None, conv, customer, msg, payload, *place])

    def mark(self) -> int:
        """Where the next conversation's events start."""
        return len(self.rows)

    def order_since(self, start: int) -> None:
        """Put one conversation's events in time order; ties keep the order they were added in."""
        if len(self.rows) - start > 1:
            self.rows[start:] = sorted(self.rows[start:], key=itemgetter(2))

    def table(self, ids) -> list[list]:
        for row, eid in zip(self.rows, ids, strict=True):
            row[0] = eid
        return self.rows


def plan(
    store: Store,
    directory: Directory,
    specs: list[ConversationSpec],
    pending: dict[tuple[str, str], int] | None = None,
) -> Plan:
    """Look up what `specs` touch and build the rows to write; `pending` maps identities that batches still
    being written will create to their customer ids."""
    result = Plan(specs)
    out = result.outcome
    existing = store.conversations_by_ref([s.ref for s in specs], lock=store.in_transaction)
    targets: list[_Target] = []
    for spec in specs:
        target = _resolve(spec, directory, existing.get(spec.ref), out)
        if target is not None:
            targets.append(target)
    events = _Events()
    fresh = [t for t in targets if t.existing is None]
    _customers(store, result, fresh, pending or {}, events)
    _keep_new_messages(store, targets, out)
    conv_ids = store.ids("conversations", len(fresh))
    msg_ids = store.ids("messages", sum(len(t.kept) for t in targets))
    if conv_ids:
        result.first_ids["conversations"] = conv_ids[0]
    if msg_ids:
        result.first_ids["messages"] = msg_ids[0]
    next_conv, next_msg = iter(conv_ids), iter(msg_ids)
    conversations, tags, messages = [], [], []
    for target in targets:
        start = events.mark()
        events.here = (target.inbox_id, target.team_id)
        if target.existing is None:
            conv_id = next(next_conv)
            events.add(None, "conversation.created", conv_id, target.customer_id, None, "")
            for msg in target.kept:
                messages.append(_message(store, target, conv_id, next(next_msg), msg, events))
            # Status events last, so a reply sorts before the status change it caused at the same instant.
            conversations.append(_new_conversation(store, target, conv_id, events, start))
            if isinstance(target.category, str):
                result.new_categories.add(target.category)
            tags.extend((conv_id, t) for t in target.spec.tags)
            result.refs.add(target.spec.ref)
            out.counts["conversation.created"] += 1
        else:
            conv_id = target.existing[0]
            out.counts["conversation.existing"] += 1
            for msg in target.kept:
                messages.append(_message(store, target, conv_id, next(next_msg), msg, events))
            if target.kept:
                result.appends = True
                result.updates.append(_appended(store, target))
        events.order_since(start)
    event_ids = store.ids("events", len(events.rows))
    if event_ids:
        result.first_ids["events"] = event_ids[0]
    result.tables += [
        ("conversations", CONVERSATION_COLUMNS, conversations),
        ("conversation_tags", ("conversation_id", "tag"), tags),
        ("messages", MESSAGE_COLUMNS, messages),
        ("events", EVENT_COLUMNS, events.table(event_ids)),
    ]
    out.counts["message.created"] += len(messages)
    out.counts["event.created"] += len(event_ids)
    return result


def apply(session: Session, planned: Plan, *, checked: bool = True) -> Outcome:
    """Write a plan in the session's transaction; Stale when it was made outside and cannot be used now."""
    store = Store.of(session)
    if checked and planned.appends:
        raise Stale("appends to existing conversations are planned under lock")
    if checked and not store.pg:
        for table, first in planned.first_ids.items():
            if store.max_id(table) >= first:
                raise Stale(f"another writer took {table} ids")
    if planned.new_categories:
        _add_categories(session, planned)
    for table, columns, rows in planned.tables:
        store.insert(table, columns, rows)
    store.update_many("conversations", APPEND_COLUMNS, planned.updates)
    # Conversations still active after their history are carried on from here (their response clocks).
    active = {s.value for s in ACTIVE_STATUSES}
    written = [
        row[0] for table, _, rows in planned.tables if table == "conversations" for row in rows if row[2] in active
    ]
    lifecycle.after_import(session, written + [row[-1] for row in planned.updates])
    return planned.outcome


_CATEGORY = CONVERSATION_COLUMNS.index("category_id")


def _add_categories(session: Session, planned: Plan) -> None:
    """Add the categories the batch names that do not exist yet, and file its conversations under them."""
    ids = categories.ensure(session, planned.new_categories)
    for table, _, rows in planned.tables:
        if table == "conversations":
            for i, row in enumerate(rows):
                if isinstance(row[_CATEGORY], str):
                    rows[i] = (*row[:_CATEGORY], ids[row[_CATEGORY].lower()], *row[_CATEGORY + 1 :])


def write(session: Session, directory: Directory, specs: list[ConversationSpec]) -> Outcome:
    """Plan and apply `specs` inside the session's transaction (the path that is always right)."""
    return apply(session, plan(Store.of(session), directory, specs), checked=False)


def _customers(store: Store, result: Plan, fresh: list[_Target], pending: dict, events: _Events) -> None:
    """Match each new conversation's customer by any of its identities; create the customers nobody has seen."""
    keys = {k for t in fresh for k in t.spec.identities}
    owner = store.customers_by_identity(k for k in keys if k not in pending)
    owner.update((k, pending[k]) for k in keys if k in pending)
    creators: list[_Target] = []
    for target in fresh:
        cid = next((owner[k] for k in target.spec.identities if k in owner), None)
        if cid is None:
            # A placeholder until the ids are reserved, so later conversations of the same person share it.
            cid = -len(creators) - 1
            creators.append(target)
            owner.update(dict.fromkeys(target.spec.identities, cid))
        target.customer_id = cid
    if not creators:
        return
    ids = store.ids("customers", len(creators))
    result.first_ids["customers"] = ids[0]
    for target in fresh:
        if target.customer_id < 0:
            target.customer_id = ids[-target.customer_id - 1]
    customers, identities = [], []
    for target in creators:
        cid, moment = target.customer_id, _first_time(target)
        stamp = store.ts(moment)
        customers.append((cid, target.spec.customer_name, None, None, None, None, False, "{}", stamp, stamp))
        identities.extend((cid, kind, address, False, stamp) for kind, address in target.spec.identities)
        result.created.update(dict.fromkeys(target.spec.identities, cid))
        events.add(stamp, "customer.created", None, cid, None, "{}")
    identity_ids = store.ids("identities", len(identities))
    result.first_ids["identities"] = identity_ids[0]
    result.tables += [
        ("customers", CUSTOMER_COLUMNS, customers),
        ("identities", IDENTITY_COLUMNS, [(i, *row) for i, row in zip(identity_ids, identities, strict=True)]),
    ]
    result.outcome.counts["customer.created"] += len(customers)


def _resolve(spec: ConversationSpec, d: Directory, existing: tuple | None, out: Outcome) -> _Target | None:
    """Names and emails to ids; a conversation-level problem refuses the spec, a message-level one the message."""
    if existing is not None:
        target = _Target(
            spec,
            inbox_id=existing[1],
            channel=existing[8],
            customer_id=existing[2],
            team_id=existing[9],
            existing=existing,
        )
    elif spec.append_only:
        out.errors.append((spec.line, f"conversation: there is no conversation '{spec.ref}'; a message line must "
                                      "come after its conversation (in this file or an earlier import)"))  # fmt: skip
        return None
    else:
        inbox = d.inboxes.get(spec.inbox) if spec.inbox else d.by_channel.get(spec.channel)
        if inbox is None:
            problem = (
                f"inbox: there is no inbox named '{spec.inbox}'; add an inbox line before it"
                if spec.inbox
                else f"channel: there is no inbox for channel '{spec.channel}'; add an inbox line or give inbox"
            )
            out.errors.append((spec.line, problem))
            return None
        target = _Target(spec, inbox_id=inbox[0], channel=spec.channel or inbox[1], team_id=inbox[2])
        if spec.team is not None:
            target.team_id = d.teams.get(spec.team)
            if target.team_id is None:
                out.errors.append((spec.line, f"team: there is no team named '{spec.team}'"))
                return None
        if spec.category is not None and spec.category.strip():
            # A name no category has yet stays a name until apply() adds it (the file brings its own list).
            name = spec.category.strip()[:100]
            target.category = d.categories.get(name.lower(), name)
        if spec.assignee is not None:
            target.assignee_id = d.agents.get(spec.assignee.strip().lower())
            if target.assignee_id is None:
                out.errors.append((spec.line, f"assignee: there is no agent with email '{spec.assignee}'"))
                return None
    for msg in spec.messages:
        if msg.author is not None and msg.direction != "inbound":
            msg.agent_id = d.agents.get(msg.author)
            if msg.agent_id is None:
                out.errors.append((msg.line, f"author: there is no agent with email '{msg.author}' (conversation "
                                             f"'{spec.ref}'); add an agent line before it"))  # fmt: skip
                continue
        target.messages.append(msg)
    if existing is None and not target.messages and spec.created_at is None:
        out.errors.append((spec.line, f"conversation '{spec.ref}' has no message left to import and no created_at"))
        return None
    return target


def _keep_new_messages(store: Store, targets: list[_Target], out: Outcome) -> None:
    """Drop messages whose (inbox, external id) is already stored or repeated in this batch: that is idempotency."""
    by_inbox: dict[int, list[str]] = {}
    for target in targets:
        by_inbox.setdefault(target.inbox_id, []).extend(m.external_id for m in target.messages)
    taken = {inbox: store.existing_external_ids(inbox, ids) for inbox, ids in by_inbox.items()}
    for target in targets:
        seen = taken[target.inbox_id]
        msgs = sorted(target.messages, key=_created)
        for msg in msgs:
            if msg.external_id in seen:
                out.counts["message.existing"] += 1
            else:
                seen.add(msg.external_id)
                target.kept.append(msg)


def _created(msg: MessageSpec) -> str:
    return msg.created_at


def _first_time(target: _Target) -> str:
    if target.spec.created_at is not None:
        return target.spec.created_at
    return min(m.created_at for m in target.messages)


def _new_conversation(store: Store, target: _Target, conv_id: int, events: _Events, start: int) -> tuple:
    """The conversation row, with its creation event and the status moves that reach its final status."""
    spec, msgs = target.spec, target.kept
    created = spec.created_at or (msgs[0].created_at if msgs else _first_time(target))
    life = lifecycle.imported(
        [(m.created_at, m.direction) for m in msgs],
        created=created,
        status=spec.status,
        solved_at=spec.solved_at,
        closed_at=spec.closed_at,
        updated_at=spec.updated_at,
    )
    ts = store.ts
    created_ts = ts(created)
    fields = store.json(spec.custom_fields) if spec.custom_fields else "{}"
    row = (
        conv_id, spec.subject, life.status, spec.priority, target.channel, target.inbox_id, target.customer_id,
        target.assignee_id, target.team_id, target.category, fields, 0, len(msgs), spec.ref, ts(life.last_message_at),
        ts(life.last_inbound_at), ts(life.first_reply_at), ts(life.solved_at), ts(life.closed_at), created_ts,
        ts(life.updated_at),
    )  # fmt: skip
    cust = target.customer_id
    payload = {"channel": target.channel, "inbox_id": target.inbox_id, "subject": spec.subject, "follow_up_of": None}
    events.rows[start][2] = created_ts
    events.rows[start][8] = store.json(payload)
    for at, frm, to in life.moves:
        events.add(ts(at), "conversation.status_changed", conv_id, cust, None, _MOVED[frm, to])
    return row


_STATES = ("new", "open", "pending", "on_hold", "solved", "closed")
_MOVED = {(a, b): f'{{"from":"{a}","to":"{b}"}}' for a in _STATES for b in _STATES}


def _message(store: Store, target: _Target, conv_id: int, msg_id: int, msg: MessageSpec, events: _Events) -> tuple:
    inbound = msg.direction == "inbound"
    addressee = None if msg.direction == "note" else target.customer_id  # from them, or to them
    channel = msg.channel or target.channel
    stamp = store.ts(msg.created_at)
    payload = store.json({"direction": msg.direction, "channel": channel, "external_id": msg.external_id})
    events.add(stamp, MESSAGE_EVENT[msg.direction], conv_id, target.customer_id, msg_id, payload)
    return (
        msg_id, conv_id, msg.direction, channel, "customer" if inbound else ("agent" if msg.agent_id else "system"),
        addressee, msg.agent_id, target.inbox_id, msg.external_id, msg.text, msg.html,
        msg.delivery_status, store.json(msg.meta) if msg.meta else "{}", stamp,
    )  # fmt: skip


def _appended(store: Store, target: _Target) -> tuple:
    """The new counters of an existing conversation that gained messages."""
    _, _, _, count, *times, _, _ = target.existing  # ends with channel and team_id
    now = lifecycle.appended(
        tuple(store.canonical_of(t) for t in times), ((m.created_at, m.direction) for m in target.kept)
    )
    return (count + len(target.kept), *(store.ts(t) for t in now), target.existing[0])
