"""Workspace pages of the supervisor console: the live board and reassigning from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.kit.schema import Id
from rapport.supervision import service
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, is_htmx, redirect, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)


@router.get("/supervisor")
def board_page(request: Request, session: DB, viewer: Page):
    """The board: queues, the human queue, the longest waits and the agents, kept live by workspace.js."""
    return render(request, "supervision/board.html", viewer, board=service.board(session, viewer.actor))


@router.get("/supervisor/board")
def board_fragment(request: Request, session: DB, viewer: Page):
    """The board alone (htmx refreshes it when something happens)."""
    return render(request, "supervision/_board.html", viewer, board=service.board(session, viewer.actor))


@router.post("/supervisor/assign")
def assign(
    request: Request,
    session: DB,
    viewer: Page,
    conversation_id: Annotated[Id, Form()],
    to: Annotated[str, Form(max_length=32)] = "",
    section: Annotated[str, Form(max_length=16)] = "",
):
    """Assign a waiting conversation to an agent or a team; the board comes back, the error beside its form."""
    try:
        notice = service.reassign(session, viewer.actor, conversation_id, to=to)
    except (Invalid, NotFound, Conflict) as problem:
        board = service.board(session, viewer.actor)
        board.errors = {"conversation_id": conversation_id, "section": section, "detail": problem.detail}
        template = "supervision/_board.html" if is_htmx(request) else "supervision/board.html"
        return render(request, template, viewer, status=problem.status, board=board)
    if not is_htmx(request):
        return redirect("/supervisor", notice)
    session.flush()
    return render(request, "supervision/_board.html", viewer, board=service.board(session, viewer.actor), notice=notice)
