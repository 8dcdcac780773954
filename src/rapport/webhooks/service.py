"""Managing webhook endpoints and their deliveries (admins only): create, change, rotate, test, redeliver."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.events import registry
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid
from rapport.models import WebhookDelivery, WebhookEndpoint
from rapport.webhooks import guard, repository
from rapport.worker import scheduler

ALL = "*"
STATES = ("pending", "delivered", "failed", "dead")
TEST_EVENT = "webhook.test"
JOB = "webhooks.deliver"
KEY_PREFIX = f"{JOB}:"
EDITABLE = ("url", "description", "event_types", "active", "allow_private")


def event_groups(actor: Actor) -> dict[str, list[str]]:
    """Every event type an endpoint may subscribe to (those declared public), grouped by what it is about."""
    authorize(actor, "admin")
    groups: dict[str, list[str]] = {}
    for name in registry.names(public=True):
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return groups


def check_event_types(types: Iterable[str]) -> list[str]:
    """The subscribed types, cleaned (duplicates dropped, "*" alone when present); Invalid when one is unknown."""
    cleaned = list(dict.fromkeys(t.strip() for t in types if t and t.strip()))
    if not cleaned:
        raise Invalid("Choose at least one event type, or every event (*).", errors=[{"field": "event_types"}])
    if ALL in cleaned:
        return [ALL]
    public = set(registry.names(public=True))
    unknown = [t for t in cleaned if t not in public]
    if unknown:
        raise Invalid(
            f"Unknown event type{'s' if len(unknown) > 1 else ''}: {', '.join(unknown[:5])}. "
            "GET /api/v1/webhooks/event-types lists them.",
            errors=[{"field": "event_types"}],
        )
    return sorted(cleaned)


def new_secret() -> str:
    """A fresh signing secret (256 random bits)."""
    return f"whsec_{secrets.token_urlsafe(32)}"


def list_endpoints(session: Session, actor: Actor) -> list[WebhookEndpoint]:
    """Every endpoint."""
    authorize(actor, "admin")
    return repository.all_(session)


def get_endpoint(session: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint."""
    authorize(actor, "admin")
    return repository.get(session, endpoint_id)


def latest_deliveries(session: Session, actor: Actor, endpoint_ids: list[int]) -> dict[int, WebhookDelivery]:
    """The most recent delivery of each endpoint (for the list's health column)."""
    authorize(actor, "admin")
    return repository.latest(session, endpoint_ids)


def create_endpoint(
    session: Session,
    actor: Actor,
    *,
    url: str,
    event_types: list[str],
    description: str = "",
    active: bool = True,
    allow_private: bool = False,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown once); the URL must pass the SSRF guard."""
    authorize(actor, "admin")
    url, types = _checked(url=url, allow_private=allow_private, event_types=event_types)
    secret = new_secret()
    stamp = now()
    endpoint = WebhookEndpoint(
        url=url,
        description=description.strip(),
        event_types=types,
        secret=secret,
        active=active,
        allow_private=allow_private,
        created_by=actor.id if actor.kind == "agent" else None,
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(endpoint)
    session.flush()
    fields = {"url": url, "event_types": types, "active": active, "allow_private": allow_private}
    record(session, "webhook.created", actor, object="webhook", object_id=endpoint.id, fields=fields)
    return endpoint, secret


def update_endpoint(session: Session, actor: Actor, endpoint_id: int, **changes: Any) -> WebhookEndpoint:
    """Change an endpoint; a new URL, allowing private networks or switching it on is checked by the guard again."""
    authorize(actor, "admin")
    endpoint = repository.get(session, endpoint_id)
    changes = {k: v for k, v in changes.items() if k in EDITABLE and v is not None}
    if "description" in changes:
        changes["description"] = changes["description"].strip()
    url = changes.get("url", endpoint.url)
    allow_private = changes.get("allow_private", endpoint.allow_private)
    # Checked again: a new URL, an active endpoint whose private-network opt-in changes, one being switched on.
    recheck = url != endpoint.url or (
        changes.get("active", endpoint.active) and (allow_private != endpoint.allow_private or not endpoint.active)
    )
    checked_url, types = _checked(
        url=url if recheck else None, allow_private=allow_private, event_types=changes.get("event_types")
    )
    if checked_url is not None:
        changes["url"] = checked_url
    if types is not None:
        changes["event_types"] = types
    changed = {k: v for k, v in changes.items() if getattr(endpoint, k) != v}
    if not changed:
        return endpoint
    for key, value in changed.items():
        setattr(endpoint, key, value)
    endpoint.updated_at = now()
    fields = {k: v for k, v in changed.items() if k != "description"}
    record(session, "webhook.updated", actor, object="webhook", object_id=endpoint.id, fields=fields)
    return endpoint


def delete_endpoint(session: Session, actor: Actor, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery log; queued deliveries to it are dropped."""
    authorize(actor, "admin")
    endpoint = repository.get(session, endpoint_id)
    fields = {"url": endpoint.url}
    session.delete(endpoint)
    session.flush()
    record(session, "webhook.deleted", actor, object="webhook", object_id=endpoint_id, fields=fields)


def rotate_secret(session: Session, actor: Actor, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """Replace the signing secret at once (every later attempt, retries too, is signed with the new one)."""
    authorize(actor, "admin")
    endpoint = repository.get(session, endpoint_id)
    endpoint.secret, endpoint.updated_at = new_secret(), now()
    record(session, "webhook.updated", actor, object="webhook", object_id=endpoint.id, fields={"secret": "rotated"})
    return endpoint, endpoint.secret


def send_test(session: Session, actor: Actor, endpoint_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` event to the endpoint: one attempt, shown in its delivery log."""
    authorize(actor, "admin")
    endpoint = repository.get(session, endpoint_id)
    if not endpoint.active:
        raise Conflict("This endpoint is switched off; switch it on to send it a test event.")
    stamp = now()
    row = {"endpoint_id": endpoint.id, "event_id": None, "event_type": TEST_EVENT, "state": "pending", "attempts": 0}
    [delivery_id] = repository.add_deliveries(session, [{**row, "created_at": stamp, "updated_at": stamp}], KEY_PREFIX)
    queue(session, delivery_id, f"{KEY_PREFIX}{delivery_id}", max_attempts=1)
    return repository.delivery(session, endpoint.id, delivery_id)


def send_event(session: Session, endpoint_id: int, event_id: int, event_type: str) -> int:
    """Queue event `event_id` to one endpoint whatever it subscribes to (a rule's "call a webhook"); the delivery id.

    NotFound when the endpoint is gone, Conflict when it is switched off: the caller (a rule) records the failure.
    """
    endpoint = repository.get(session, endpoint_id)
    if not endpoint.active:
        raise Conflict(f"Webhook endpoint {endpoint_id} is switched off.")
    stamp = now()
    row = {"endpoint_id": endpoint.id, "event_id": event_id, "event_type": event_type, "state": "pending"}
    row |= {"attempts": 0, "created_at": stamp, "updated_at": stamp}
    [delivery_id] = repository.add_deliveries(session, [row], KEY_PREFIX)
    queue(session, delivery_id, f"{KEY_PREFIX}{delivery_id}", max_attempts=get_settings().webhook_max_attempts)
    return delivery_id


def endpoint_exists(session: Session, endpoint_id: int) -> bool:
    """Whether webhook endpoint `endpoint_id` exists (a rule naming it is checked on save)."""
    return session.get(WebhookEndpoint, endpoint_id) is not None


def redeliver(session: Session, actor: Actor, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now: a waiting retry is brought forward, otherwise one fresh attempt is queued."""
    authorize(actor, "admin")
    endpoint = repository.get(session, endpoint_id)
    delivery = repository.delivery(session, endpoint_id, delivery_id)
    if not endpoint.active:
        raise Conflict("This endpoint is switched off; switch it on to redeliver.")
    job = scheduler.find(session, delivery.job_key)
    if job is not None and job.state == scheduler.CLAIMED:
        raise Conflict("An attempt to deliver this is under way right now; its result will show in the log.")
    if job is not None and scheduler.reschedule(session, delivery.job_key, now()):
        # The waiting retry goes now, with the retries it has left.
        delivery.next_attempt_at = delivery.updated_at = now()
        return delivery
    # A fresh key each time (an earlier one may belong to a dead job); a second press while this one waits finds
    # it queued above and only brings it forward.
    key = f"{KEY_PREFIX}{delivery.id}:{secrets.token_hex(4)}"
    queue(session, delivery.id, key, max_attempts=1)
    delivery.state, delivery.job_key, delivery.next_attempt_at, delivery.updated_at = "pending", key, now(), now()
    return delivery


def queue(session: Session, delivery_id: int, key: str, *, max_attempts: int) -> None:
    """Queue the job that sends a delivery, once per key (the key is also the delivery's `job_key`)."""
    scheduler.schedule(session, JOB, key, now(), {"delivery_id": delivery_id, "key": key}, max_attempts=max_attempts)


def delivery_log(
    session: Session,
    actor: Actor,
    endpoint_id: int,
    *,
    state: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[WebhookDelivery], int | None]:
    """A page of an endpoint's deliveries, newest first (optionally in one state), and the next page's cursor."""
    authorize(actor, "admin")
    repository.get(session, endpoint_id)
    if state and state not in STATES:
        raise Invalid(f"A delivery state is one of {', '.join(STATES)}.", errors=[{"field": "state"}])
    cap = get_settings().max_page_size
    if not 1 <= limit <= cap:
        raise Invalid(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE).", errors=[{"field": "limit"}])
    rows = repository.deliveries(session, endpoint_id, state=state or None, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].id if more else None


def _checked(
    *, url: str | None, allow_private: bool, event_types: list[str] | None
) -> tuple[str | None, list[str] | None]:
    """The URL (the SSRF guard's checks that need no lookup) and the event types, each checked when given; every
    wrong one is reported.

    One wrong field raises its own problem; several raise one Invalid whose `errors` carry each field's detail.
    """
    problems: list[Invalid | guard.Refused] = []
    checked_url = checked_types = None
    if event_types is not None:
        try:
            checked_types = check_event_types(event_types)
        except Invalid as problem:
            problems.append(problem)
    if url is not None:
        try:
            if not url.strip():
                raise Invalid("Enter the URL to send events to.", errors=[{"field": "url"}])
            checked_url = str(guard.check_on_save(url, allow_private=allow_private))
        except (Invalid, guard.Refused) as problem:
            problems.append(problem)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        errors = [{**p.extra["errors"][0], "detail": p.detail} for p in problems]
        raise Invalid(" ".join(p.detail for p in problems), errors=errors)
    return checked_url, checked_types
