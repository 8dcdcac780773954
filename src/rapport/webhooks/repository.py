"""Webhook queries: endpoints and the delivery log (their jobs are the scheduler's, worker.scheduler)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.orm import Session

from rapport.db.bulk import insert_ids
from rapport.events import consumers
from rapport.kit.problems import NotFound
from rapport.models import Conversation, Event, WebhookDelivery, WebhookEndpoint

FINISHED = ("delivered", "dead")


def get(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint; NotFound when there is none."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"There is no webhook endpoint {endpoint_id}.")
    return endpoint


def all_(session: Session) -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def subscriptions(session: Session) -> list[tuple[int, list]]:
    """(id, event types) of each active endpoint: read afresh by every consumer call, so a change applies at once."""
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.active.is_(True))
        .order_by(WebhookEndpoint.id)
    )
    return [(r.id, list(r.event_types or [])) for r in rows]


def add_deliveries(session: Session, rows: list[dict], key_prefix: str) -> list[int]:
    """Insert deliveries in one statement; each gets job_key `<key_prefix><id>`. Returns their ids in order."""
    ids = insert_ids(session.connection(), WebhookDelivery.__table__, rows)
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(job_key=literal(key_prefix) + cast(WebhookDelivery.id, String))
        )
    return ids


def delivery(session: Session, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """One delivery of an endpoint; NotFound otherwise."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.endpoint_id != endpoint_id:
        raise NotFound(f"Webhook endpoint {endpoint_id} has no delivery {delivery_id}.")
    return row


def deliveries(
    session: Session, endpoint_id: int, *, state: str | None = None, before: int | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first, optionally in one state and older than id `before`."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if state:
        query = query.where(WebhookDelivery.state == state)
    if before:
        query = query.where(WebhookDelivery.id < before)
    return list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def latest(session: Session, endpoint_ids: list[int]) -> dict[int, WebhookDelivery]:
    """Each endpoint's most recent delivery (one index lookup per endpoint)."""
    found = {}
    for endpoint_id in endpoint_ids:
        row = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            found[endpoint_id] = row
    return found


def event(session: Session, event_id: int):
    """The event row a delivery carries, or None."""
    return session.execute(select(*consumers.COLUMNS).where(Event.id == event_id)).first()


def conversation_targets(session: Session, conversation_id: int | None) -> dict:
    """The conversation's service-target fields as a delivery carries them (nulls without a conversation)."""
    row = None
    if conversation_id is not None:
        query = select(Conversation.sla_due_at, Conversation.sla_policy_id).where(Conversation.id == conversation_id)
        row = session.execute(query).first()
    due = row.sla_due_at if row is not None else None
    return {"sla_due_at": due.isoformat() if due else None, "sla_policy_id": row.sla_policy_id if row else None}


def prune(session: Session, before: datetime) -> int:
    """Forget finished deliveries created before `before`; returns how many."""
    result = session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.created_at < before, WebhookDelivery.state.in_(FINISHED))
    )
    return result.rowcount
