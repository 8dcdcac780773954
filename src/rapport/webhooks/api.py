"""REST routes for outgoing webhooks (admin scope): endpoints, secrets, test events, the delivery log."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from rapport.kit.schema import Id, Int, Limit, Page
from rapport.web.deps import DB, Me, requires
from rapport.webhooks import service
from rapport.webhooks.schemas import DeliveryOut, EndpointIn, EndpointOut, EndpointPatch, EndpointWithSecret

DeliveryState = Literal[service.STATES]  # the service's list, so the document names exactly what it accepts

router = APIRouter(tags=["webhooks"])


def _with_secret(endpoint, secret: str) -> EndpointWithSecret:
    return EndpointWithSecret.model_validate({**EndpointOut.model_validate(endpoint).model_dump(), "secret": secret})


@router.get("/webhooks/event-types", dependencies=[requires("admin")], response_model=list[str])
def event_types(actor: Me):
    """Every event type an endpoint may subscribe to ("*" takes them all)."""
    return [name for names in service.event_groups(actor).values() for name in names]


@router.get("/webhooks", dependencies=[requires("admin")], response_model=list[EndpointOut])
def list_endpoints(session: DB, actor: Me):
    """Every webhook endpoint (never their secrets)."""
    return service.list_endpoints(session, actor)


@router.post("/webhooks", dependencies=[requires("admin")], response_model=EndpointWithSecret, status_code=201)
def create_endpoint(body: EndpointIn, session: DB, actor: Me):
    """Create an endpoint; its signing secret is in this response only."""
    endpoint, secret = service.create_endpoint(session, actor, **body.model_dump())
    return _with_secret(endpoint, secret)


@router.get("/webhooks/{endpoint_id:int}", dependencies=[requires("admin")], response_model=EndpointOut)
def get_endpoint(endpoint_id: Id, session: DB, actor: Me):
    """One endpoint."""
    return service.get_endpoint(session, actor, endpoint_id)


@router.patch("/webhooks/{endpoint_id:int}", dependencies=[requires("admin")], response_model=EndpointOut)
def patch_endpoint(endpoint_id: Id, body: EndpointPatch, session: DB, actor: Me):
    """Change an endpoint's URL, description, event types, active or allow_private."""
    return service.update_endpoint(session, actor, endpoint_id, **body.model_dump(exclude_unset=True))


@router.delete("/webhooks/{endpoint_id:int}", dependencies=[requires("admin")], status_code=204)
def delete_endpoint(endpoint_id: Id, session: DB, actor: Me):
    """Delete an endpoint and its delivery log."""
    service.delete_endpoint(session, actor, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{endpoint_id:int}/rotate-secret", dependencies=[requires("admin")], response_model=EndpointWithSecret
)
def rotate_secret(endpoint_id: Id, session: DB, actor: Me):
    """Replace the signing secret; the new one is in this response only."""
    endpoint, secret = service.rotate_secret(session, actor, endpoint_id)
    return _with_secret(endpoint, secret)


@router.post(
    "/webhooks/{endpoint_id:int}/test", dependencies=[requires("admin")], response_model=DeliveryOut, status_code=202
)
def send_test(endpoint_id: Id, session: DB, actor: Me):
    """Queue a `webhook.test` event to the endpoint; its delivery is returned."""
    return service.send_test(session, actor, endpoint_id)


@router.get(
    "/webhooks/{endpoint_id:int}/deliveries", dependencies=[requires("admin")], response_model=Page[DeliveryOut]
)
def deliveries(
    endpoint_id: Id,
    session: DB,
    actor: Me,
    state: DeliveryState | None = None,
    cursor: Int | None = None,
    limit: Limit = 50,
):
    """The endpoint's delivery log, newest first; `state` filters (pending, delivered, failed, dead)."""
    rows, next_before = service.delivery_log(session, actor, endpoint_id, state=state, before=cursor, limit=limit)
    return Page(
        items=[DeliveryOut.model_validate(r) for r in rows], next_cursor=str(next_before) if next_before else None
    )


@router.post(
    "/webhooks/{endpoint_id:int}/deliveries/{delivery_id}/redeliver",
    dependencies=[requires("admin")],
    response_model=DeliveryOut,
    status_code=202,
)
def redeliver(endpoint_id: Id, delivery_id: Id, session: DB, actor: Me):
    """Send a delivery again now (a waiting retry is brought forward, otherwise one fresh attempt is queued)."""
    return service.redeliver(session, actor, endpoint_id, delivery_id)
