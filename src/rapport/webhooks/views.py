"""Admin pages for outgoing webhooks: endpoints, their secret, a test event, and the delivery log with Redeliver."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request

from rapport.kit.problems import Invalid
from rapport.kit.schema import Id, Int
from rapport.web.deps import DB
from rapport.web.pages import Page, Viewer, WorkspaceRoute, is_htmx, redirect, render
from rapport.webhooks import service
from rapport.webhooks.guard import Refused

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
Url = Annotated[str, Form(max_length=2000)]
Description = Annotated[str, Form(max_length=500)]
EventTypes = Annotated[list[str], Form(max_length=200)]
Flag = Annotated[bool, Form()]
State = Annotated[str, Form(max_length=16)]


def _form(request: Request, viewer: Viewer, values: dict, *, endpoint=None, errors=None, status: int = 200):
    return render(
        request,
        "webhooks/form.html",
        viewer,
        status=status,
        endpoint=endpoint,
        values=values,
        groups=service.event_groups(viewer.actor),
        errors=errors or {},
    )


def _errors(problem: Invalid | Refused) -> dict[str, str]:
    """Each wrong field's message keyed by the field, to show next to it."""
    listed = problem.extra.get("errors") or [{"field": "url"}]
    return {e.get("field") or "url": e.get("detail") or problem.detail for e in listed}


def _log(session, viewer: Viewer, endpoint_id: int, *, state: str = "", before: int | None = None) -> dict:
    """The template context of the delivery log: a page of deliveries, the filter and where older ones start."""
    rows, older = service.delivery_log(session, viewer.actor, endpoint_id, state=state or None, before=before)
    # While a delivery waits for its first attempt, the log refreshes itself until it has a result.
    following = any(d.state == "pending" for d in rows)
    return {"deliveries": rows, "older": older, "state": state, "states": service.STATES, "following": following}


def _page_url(endpoint_id: int, state: str = "") -> str:
    return f"/admin/webhooks/{endpoint_id}" + (f"?{urlencode({'state': state})}" if state else "")


@router.get("/admin/webhooks")
def endpoints(request: Request, session: DB, viewer: Page):
    """Every endpoint, with its latest delivery."""
    rows = service.list_endpoints(session, viewer.actor)
    latest = service.latest_deliveries(session, viewer.actor, [e.id for e in rows])
    return render(request, "webhooks/index.html", viewer, endpoints=rows, latest=latest)


@router.get("/admin/webhooks/new")
def new_endpoint(request: Request, viewer: Page):
    """The form for a new endpoint."""
    return _form(request, viewer, {"url": "", "description": "", "event_types": [], "active": True})


@router.post("/admin/webhooks")
def create_endpoint(
    request: Request,
    session: DB,
    viewer: Page,
    url: Url = "",
    description: Description = "",
    event_types: EventTypes = [],  # noqa: B006  (FastAPI copies form defaults)
    active: Flag = False,
    allow_private: Flag = False,
):
    """Create the endpoint and show its secret, once."""
    values = dict(url=url, description=description, event_types=event_types, active=active, allow_private=allow_private)
    try:
        endpoint, secret = service.create_endpoint(session, viewer.actor, **values)
    except (Invalid, Refused) as problem:
        return _form(request, viewer, values, errors=_errors(problem), status=422)
    return render(request, "webhooks/secret.html", viewer, endpoint=endpoint, secret=secret, created=True)


@router.get("/admin/webhooks/{endpoint_id}")
def endpoint_page(request: Request, session: DB, viewer: Page, endpoint_id: Id, state: str = "", before: Int = 0):
    """An endpoint: what it receives, its actions and its delivery log."""
    endpoint = service.get_endpoint(session, viewer.actor, endpoint_id)
    log = _log(session, viewer, endpoint_id, state=state, before=before or None)
    return render(request, "webhooks/endpoint.html", viewer, endpoint=endpoint, **log)


@router.get("/admin/webhooks/{endpoint_id}/deliveries")
def delivery_log(request: Request, session: DB, viewer: Page, endpoint_id: Id, state: str = "", before: Int = 0):
    """The delivery log alone (filtering, paging and refreshing it), or the endpoint page without htmx."""
    if not is_htmx(request):
        return redirect(_page_url(endpoint_id, state))
    endpoint = service.get_endpoint(session, viewer.actor, endpoint_id)
    log = _log(session, viewer, endpoint_id, state=state, before=before or None)
    return render(request, "webhooks/_log.html", viewer, endpoint=endpoint, **log)


@router.get("/admin/webhooks/{endpoint_id}/edit")
def edit_endpoint(request: Request, session: DB, viewer: Page, endpoint_id: Id):
    """The form to change an endpoint."""
    endpoint = service.get_endpoint(session, viewer.actor, endpoint_id)
    fields = ("url", "description", "event_types", "active", "allow_private")
    return _form(request, viewer, {k: getattr(endpoint, k) for k in fields}, endpoint=endpoint)


@router.post("/admin/webhooks/{endpoint_id}")
def save_endpoint(
    request: Request,
    session: DB,
    viewer: Page,
    endpoint_id: Id,
    url: Url = "",
    description: Description = "",
    event_types: EventTypes = [],  # noqa: B006  (FastAPI copies form defaults)
    active: Flag = False,
    allow_private: Flag = False,
):
    """Save the changes; a wrong value is named next to its field."""
    values = dict(url=url, description=description, event_types=event_types, active=active, allow_private=allow_private)
    try:
        service.update_endpoint(session, viewer.actor, endpoint_id, **values)
    except (Invalid, Refused) as problem:
        endpoint = service.get_endpoint(session, viewer.actor, endpoint_id)
        return _form(request, viewer, values, endpoint=endpoint, errors=_errors(problem), status=422)
    return redirect(f"/admin/webhooks/{endpoint_id}", "Endpoint saved.")


@router.post("/admin/webhooks/{endpoint_id}/rotate")
def rotate_secret(request: Request, session: DB, viewer: Page, endpoint_id: Id):
    """A new signing secret, shown once."""
    endpoint, secret = service.rotate_secret(session, viewer.actor, endpoint_id)
    template = "webhooks/_secret.html" if is_htmx(request) else "webhooks/secret.html"
    return render(request, template, viewer, endpoint=endpoint, secret=secret, created=False)


@router.post("/admin/webhooks/{endpoint_id}/test")
def send_test(request: Request, session: DB, viewer: Page, endpoint_id: Id):
    """Queue a test event; the log shows it and follows it until it is sent."""
    service.send_test(session, viewer.actor, endpoint_id)
    notice = "Test event queued; its result appears below within seconds."
    if not is_htmx(request):
        return redirect(f"/admin/webhooks/{endpoint_id}", notice)
    session.flush()
    endpoint = service.get_endpoint(session, viewer.actor, endpoint_id)
    log = _log(session, viewer, endpoint_id)
    return render(request, "webhooks/_log.html", viewer, endpoint=endpoint, notice=notice, **log)


@router.post("/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver")
def redeliver(request: Request, session: DB, viewer: Page, endpoint_id: Id, delivery_id: Id, state: State = ""):
    """Send one delivery again now, then show the log (in the same filter)."""
    service.redeliver(session, viewer.actor, endpoint_id, delivery_id)
    notice = f"Delivery {delivery_id} will be sent again now."
    if not is_htmx(request):
        return redirect(_page_url(endpoint_id, state), notice)
    session.flush()
    endpoint = service.get_endpoint(session, viewer.actor, endpoint_id)
    log = _log(session, viewer, endpoint_id, state=state)
    return render(request, "webhooks/_log.html", viewer, endpoint=endpoint, notice=notice, **log)


@router.post("/admin/webhooks/{endpoint_id}/delete")
def delete_endpoint(session: DB, viewer: Page, endpoint_id: Id):
    """Delete the endpoint and its log."""
    service.delete_endpoint(session, viewer.actor, endpoint_id)
    return redirect("/admin/webhooks", "Endpoint deleted.")
