"""The worker's side of webhooks: the event consumer that queues deliveries, and the job that sends one.

The consumer runs in the transaction that advances its cursor, so a delivery row and its job exist exactly when the
event has been handed over: nothing is lost or doubled, and the writer's (inbound) path never touches these tables.
The job sends outside any transaction (no writer's turn held while a receiver thinks) and retries through the
worker's backoff until RAPPORT_WEBHOOK_MAX_ATTEMPTS, then the delivery is dead.
"""

from __future__ import annotations

from datetime import timedelta

import orjson
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.db.session import Database
from rapport.events import registry
from rapport.events.consumers import consumer
from rapport.kit.clock import now
from rapport.models import WebhookDelivery
from rapport.webhooks import repository, send
from rapport.webhooks.service import ALL, JOB, KEY_PREFIX, TEST_EVENT, queue
from rapport.worker import scheduler
from rapport.worker.runner import handler, on_failure

PRUNE = "webhooks.prune"


class DeliveryFailed(Exception):
    """An attempt did not get a 2xx answer; the worker retries it with backoff."""


def subscribed(types: list, name: str, public: frozenset[str] | None = None) -> bool:
    """True when an endpoint's event types take event `name`: only events declared public go outside."""
    return name in (public if public is not None else _public()) and (ALL in types or name in types)


def _public() -> frozenset[str]:
    return frozenset(registry.names(public=True))


def wanted_events(session: Session) -> set[str]:
    """The event names some active endpoint takes; none at all when no endpoint is active."""
    names: set[str] = set()
    for _, types in repository.subscriptions(session):
        if ALL in types:
            return set(_public())
        names.update(types)
    return names


@consumer("webhooks", wants=wanted_events)
def queue_deliveries(session: Session, events: list) -> None:
    """For each event and each active endpoint subscribed to it: a delivery row and the job that sends it."""
    endpoints = repository.subscriptions(session)
    if not endpoints:
        return
    stamp, public = now(), _public()
    rows = [
        {
            "endpoint_id": endpoint_id,
            "event_id": e.id,
            "event_type": e.name,
            "state": "pending",
            "attempts": 0,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for e in events
        for endpoint_id, types in endpoints
        if subscribed(types, e.name, public)
    ]
    max_attempts = get_settings().webhook_max_attempts
    for delivery_id in repository.add_deliveries(session, rows, KEY_PREFIX):
        queue(session, delivery_id, f"{KEY_PREFIX}{delivery_id}", max_attempts=max_attempts)
    if rows:
        # Forgetting old deliveries: one job a day, keyed by the day it is due, so it is queued once.
        tomorrow = stamp.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        scheduler.schedule(session, PRUNE, f"{PRUNE}:{tomorrow.date().isoformat()}", tomorrow)


def body(event, *, delivery: WebhookDelivery, targets: dict | None = None) -> bytes:
    """The JSON a receiver gets: the event's id, type, time, subjects, where it happened, actor and payload, and
    its conversation's service-target fields (`targets`: sla_due_at, sla_policy_id) as the delivery is sent."""
    if event is None:  # a test event is not in the log
        return orjson.dumps(
            {
                "id": None,
                "type": TEST_EVENT,
                "created_at": delivery.created_at.isoformat(),
                "data": {"endpoint_id": delivery.endpoint_id, "message": "A test event from Rapport."},
            }
        )
    return orjson.dumps(
        {
            "id": event.id,
            "type": event.name,
            "created_at": event.occurred_at.isoformat(),
            "actor": {"kind": event.actor_kind, "id": event.actor_id},
            "conversation_id": event.conversation_id,
            "customer_id": event.customer_id,
            "message_id": event.message_id,
            "inbox_id": event.inbox_id,
            "team_id": event.team_id,
            **(targets or {"sla_due_at": None, "sla_policy_id": None}),
            "data": event.payload,
        }
    )


@handler(JOB, outside_transaction=True)
def deliver(db: Database, payload: dict) -> None:
    """Send one delivery: read it, POST it (no transaction open), record the attempt; raise to retry on failure."""
    delivery_id = payload["delivery_id"]
    with db.read() as session:
        request, unsendable = _plan(session, delivery_id)
    if unsendable:
        with db.write() as session:
            _settle(session, delivery_id, unsendable)
    if request is None:
        return  # delivered already, deleted with its endpoint, or not sendable: at least once, never more
    outcome = send.post(request)
    with db.write() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is not None:
            delivery.attempts += 1
            delivery.state = "delivered" if outcome.delivered else "failed"
            delivery.status_code, delivery.error = outcome.status_code, outcome.error
            delivery.response_snippet, delivery.duration_ms = outcome.snippet, outcome.duration_ms
            delivery.next_attempt_at, delivery.updated_at = None, now()
    if not outcome.delivered:
        raise DeliveryFailed(outcome.error or "not delivered")


def _plan(session: Session, delivery_id: int) -> tuple[send.Request | None, str | None]:
    """What to send for a delivery, or None with the reason it cannot be sent (None, None: nothing to do)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state == "delivered":
        return None, None
    endpoint = repository.get(session, delivery.endpoint_id)
    if not endpoint.active:
        return None, "Not sent: the endpoint is switched off."
    event = repository.event(session, delivery.event_id) if delivery.event_id is not None else None
    if delivery.event_id is not None and event is None:
        return None, "Not sent: its event is no longer in the log."
    settings = get_settings()
    request = send.Request(
        url=endpoint.url,
        body=body(
            event,
            delivery=delivery,
            targets=repository.conversation_targets(session, event.conversation_id) if event is not None else None,
        ),
        secret=endpoint.secret,
        event_type=delivery.event_type,
        delivery_id=delivery.id,
        timestamp=int(now().timestamp()),
        allow_private=endpoint.allow_private,
        timeout=settings.webhook_timeout_seconds,
        max_bytes=settings.webhook_response_bytes,
    )
    return request, None


def _settle(session: Session, delivery_id: int, error: str) -> None:
    """Mark a delivery dead without an attempt (an admin can redeliver it once the cause is gone)."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is not None:
        row.state, row.error, row.next_attempt_at, row.updated_at = "dead", error, None, now()


@on_failure(JOB)
def attempt_failed(session: Session, payload: dict, error: str, dead: bool) -> None:
    """After a failed attempt: dead once the job is, else failed with the time of the retry the worker scheduled."""
    delivery = session.get(WebhookDelivery, payload["delivery_id"])
    if delivery is None or delivery.state == "delivered" or delivery.job_key != payload.get("key"):
        return  # an older job's news: a later one owns this delivery now
    retry_at = scheduler.due_at(session, payload["key"]) if payload.get("key") else None
    delivery.state = "dead" if dead else "failed"
    delivery.next_attempt_at = None if dead else retry_at
    delivery.error = error.removeprefix(f"{DeliveryFailed.__name__}: ")[:300]
    delivery.updated_at = now()


@handler(PRUNE)
def prune(session: Session, payload: dict) -> None:
    """Forget delivered and dead deliveries (and the dead jobs of deliveries) older than RAPPORT_WEBHOOK_LOG_DAYS."""
    before = now() - timedelta(days=get_settings().webhook_log_days)
    repository.prune(session, before)
    scheduler.forget_dead(session, JOB, before)
