"""The "Next best" button of the top bar: the agent takes the best waiting conversation they may, then sees it."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.routing import assign
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, redirect

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)


@router.post("/routing/next")
def next_best(session: DB, viewer: Page):
    """Claim the next best conversation and open it; back to the inbox with a notice when none waits."""
    conv = assign.next_best(session, viewer.actor)
    if conv is None:
        return redirect("/inbox", "Nothing is waiting that you can take. Well done.")
    return redirect(f"/conversations/{conv.id}", f"Conversation {conv.id} is yours: it was next in the queue.")
