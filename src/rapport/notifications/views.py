"""Workspace pages of notifications: the list, the top bar's unread badge, opening one, marking all read."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rapport.kit.schema import Id
from rapport.notifications import service
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, is_htmx, redirect, render

# No menu entry: the badge in the top bar (workspace/layout.html) links here.
router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
KIND_LABELS = {
    "assigned": "Assigned to you",
    "mentioned": "Mentioned",
    "customer_replied": "Customer replied",
    "woke": "Back from snooze",
    "rule": "Rule",
    "kudos": "Kudos",
}


@router.get("/notifications")
def notifications(request: Request, session: DB, viewer: Page):
    """The agent's latest notifications; htmx asks for the list alone (live refresh)."""
    items = service.latest(session, viewer.actor)
    template = "notifications/page.html"
    if is_htmx(request) and request.headers.get("hx-target") == "notification-list":
        template = "notifications/_list.html"
    return render(request, template, viewer, items=items, kinds=KIND_LABELS)


@router.get("/notifications/badge")
def badge(request: Request, session: DB, viewer: Page):
    """The unread count for the top bar: one capped, indexed count."""
    return render(request, "notifications/_badge.html", viewer, badge=service.badge(session, viewer.actor))


@router.post("/notifications/read")
def mark_all_read(request: Request, session: DB, viewer: Page):
    """Mark all of the agent's notifications read, then show the list (and refresh the badge)."""
    done = service.mark_all_read(session, viewer.actor)
    notice = f"Marked {done} notification{'' if done == 1 else 's'} read." if done else "Nothing was unread."
    if not is_htmx(request):
        return redirect("/notifications", notice)
    session.flush()
    items = service.latest(session, viewer.actor)
    response = render(request, "notifications/_list.html", viewer, items=items, kinds=KIND_LABELS, notice=notice)
    response.headers["HX-Trigger"] = "badge-changed"
    return response


@router.post("/notifications/{notification_id}/open")
def open_one(request: Request, session: DB, viewer: Page, notification_id: Id):
    """Mark this notification (and the others about its conversation) read and go to the conversation."""
    target = f"/conversations/{service.open_one(session, viewer.actor, notification_id)}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return redirect(target)
