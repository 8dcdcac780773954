"""The write half of receiving a batch: a statement per table for the whole batch, events in timeline order."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations import attachments
from rapport.conversations.inbound_plan import ConvState, Plan, PlanItem
from rapport.conversations.inbound_types import Received
from rapport.conversations.lifecycle import bulk as lifecycle
from rapport.db.bulk import insert_ids, insert_rows
from rapport.events.outbox import record_many
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from rapport.models import Conversation, Customer, IdempotencyKey, Identity, Message
from rapport.models.enums import AuthorKind, Direction


def write_batch(session: Session, plan: Plan) -> None:
    """Insert customers, conversations and messages, update conversations, record events; set outcomes."""
    live = plan.pending()
    if not live:
        _settle_repeats(plan)
        return
    conn = session.connection()
    stamp = now()
    events: list = []  # every event of the batch, in timeline order, written with one statement at the end
    # Only customers a surviving message needs: a refused message creates nobody.
    needed = {id(p.customer) for p in live}
    plan.customers = [c for c in plan.customers if id(c) in needed]
    if plan.customers:
        rows = [
            {
                "name": c.name,
                "company": None,
                "language": None,
                "timezone": None,
                "segment": None,
                "vip": False,
                "attributes": {},
                "merged_into_id": None,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for c in plan.customers
        ]
        for ref, new_id in zip(plan.customers, insert_ids(conn, Customer.__table__, rows), strict=True):
            ref.id = new_id
        insert_rows(
            conn,
            Identity.__table__,
            [
                {"customer_id": c.id, "kind": c.kind, "address": c.address, "verified": False, "created_at": stamp}
                for c in plan.customers
            ],
        )
        events += [("customer.created", c.actor, {"customer_id": c.id}, {}) for c in plan.customers]
    linked = [(ref, kind, address) for ref, kind, address in plan.linked if id(ref) in needed]
    if linked:
        identity_ids = insert_ids(
            conn,
            Identity.__table__,
            [
                {"customer_id": ref.id, "kind": kind, "address": address, "verified": True, "created_at": stamp}
                for ref, kind, address in linked
            ],
        )
        events += [
            (
                "identity.added",
                SYSTEM,
                {"customer_id": ref.id},
                {
                    "object": "identity",
                    "object_id": ident,
                    "fields": {"kind": kind, "address": address, "via": "number"},
                },
            )
            for (ref, kind, address), ident in zip(linked, identity_ids, strict=True)
        ]
    if plan.convs:
        rows = [
            {
                "subject": c.subject,
                "priority": "normal",
                "channel": c.channel,
                "inbox_id": c.inbox_id,
                "customer_id": c.customer.id,
                "team_id": c.team_id,
                "custom_fields": {},
                "sender_unverified": c.sender_unverified,
                # Written as the batch leaves it, so a new conversation is not updated again below: each update
                # of a conversation puts a new entry in every one of its indexes (PostgreSQL; no HOT update there).
                **lifecycle.new_row(c.life),
                "message_count": c.added,
                "created_at": c.created_at,
                "updated_at": c.life.updated_at,
            }
            for c in plan.convs
        ]
        for conv, new_id in zip(plan.convs, insert_ids(conn, Conversation.__table__, rows), strict=True):
            conv.id = new_id
        events += [
            (
                "conversation.created",
                c.actor,
                {"conversation_id": c.id, "customer_id": c.customer.id, **_place(c)},
                {"channel": c.channel, "inbox_id": c.inbox_id, "subject": c.subject, "follow_up_of": c.follow_up_of},
            )
            for c in plan.convs
        ]
    _messages(session, live)
    touched = {id(p.conv): p.conv for p in live if not p.conv.new}.values()
    lifecycle.touch(conn, [(c.id, c.added, c.life) for c in touched])
    for p in live:
        ids = {"conversation_id": p.conv.id, "customer_id": p.customer.id, **_place(p.conv)}
        events += [(name, p.actor, ids, payload) for name, payload in p.status_events]
        events.append(
            (
                "message.received",
                p.actor,
                {**ids, "message_id": p.message_id},
                {"direction": "inbound", "channel": p.channel, "external_id": p.msg.external_id},
            )
        )
        p.outcome = Received(p.message_id, p.conv.id, p.customer.id, p.new_conversation)
    record_many(session, events)
    lifecycle.after_batch(session, _steps(live))
    _settle_repeats(plan)
    _remember_keys(session, plan, stamp)


def _place(conv: ConvState) -> dict:
    """The inbox and team an event of this conversation carries (known to the batch: no read in the outbox)."""
    return {"inbox_id": conv.inbox_id, "team_id": conv.team_id}


def _steps(live: list[PlanItem]) -> list:
    """Each message's lifecycle step, in the batch's order; a new conversation's first one says it opened it."""
    opened: set[int] = set()
    steps = []
    for p in live:
        first = p.conv.new and p.conv.id not in opened
        opened.add(p.conv.id)
        before, after = p.lives
        created = p.conv.created_at if first else None
        steps.append(lifecycle.received_step(p.conv.id, p.stamp, before, after, p.status_events, created_at=created))
    return steps


def _messages(session: Session, live: list[PlanItem]) -> None:
    rows = [
        {
            "conversation_id": p.conv.id,
            "direction": Direction.inbound.value,
            "channel": p.channel,
            "author_kind": AuthorKind.customer.value,
            "customer_id": p.customer.id,
            "agent_id": None,
            "inbox_id": p.inbox.id,
            "external_id": p.msg.external_id,
            "body_text": p.text,
            "body_html": p.html,
            "delivery_status": None,
            "delivery_error": None,
            "meta": p.msg.meta,
            "created_at": p.stamp,
        }
        for p in live
    ]
    for p, new_id in zip(live, insert_ids(session.connection(), Message.__table__, rows), strict=True):
        p.message_id = new_id
        if p.msg.files:
            attachments.save(session, new_id, p.msg.files)


def _settle_repeats(plan: Plan) -> None:
    """An item repeating another in the same batch gets the other's answer, marked as a repeat."""
    for p in plan.items:
        if p.duplicate_of is not None and p.outcome is None:
            first = p.duplicate_of.outcome
            if isinstance(first, Received):
                same_key = p.msg.idempotency and p.msg.idempotency == p.duplicate_of.msg.idempotency
                p.outcome = Received(
                    first.message_id,
                    first.conversation_id,
                    first.customer_id,
                    first.new_conversation if same_key else False,
                    duplicate=first.duplicate if same_key else True,
                    replayed=bool(same_key),
                )
            else:
                p.outcome = first


def _remember_keys(session: Session, plan: Plan, stamp) -> None:
    rows = []
    for p in plan.items:
        if p.msg.idempotency and isinstance(p.outcome, Received) and not p.outcome.replayed:
            scope, key, digest = p.msg.idempotency
            rows.append(
                {
                    "scope": scope,
                    "key": key,
                    "request_hash": digest,
                    "created_at": stamp,
                    "status_code": 200 if p.outcome.duplicate else 201,
                    "response": p.outcome.as_dict(),
                }
            )
    insert_rows(session.connection(), IdempotencyKey.__table__, rows)
