"""The admin page of events set aside: each consumer's dead letters, with Retry, and consumers failing right now."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.config import get_settings
from rapport.events import dead_letters
from rapport.kit.schema import Id, Int
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, redirect, render
from rapport.worker.runner import load_handlers

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)


def load_consumers() -> None:
    """Import every module that declares an event consumer (a web process may not have started its worker)."""
    load_handlers()


@router.get("/admin/events")
def dead_letter_page(request: Request, session: DB, viewer: Page, before: Int | None = None):
    """The newest dead letters, and the consumers retrying an event right now."""
    letters, older = dead_letters.page(session, viewer.actor, before=before)
    failing = dead_letters.failing(session, viewer.actor)
    return render(
        request,
        "events/dead_letters.html",
        viewer,
        letters=letters,
        older=older,
        failing=failing,
        max_attempts=get_settings().event_max_attempts,
    )


@router.post("/admin/events/dead-letters/{letter_id}/retry")
def retry(session: DB, viewer: Page, letter_id: Id):
    """Hand the event to its consumer again now; say whether it went through."""
    load_consumers()
    if dead_letters.retry(session, viewer.actor, letter_id):
        return redirect("/admin/events", f"Dead letter {letter_id} was handled and removed.")
    return redirect("/admin/events", f"Dead letter {letter_id} failed again; its error is updated below.")
