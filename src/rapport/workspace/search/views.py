"""Workspace page of the search domain: one box over conversations, messages and customers, with filters."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.customers.directory import IDENTITY_ICONS, IDENTITY_LABELS
from rapport.kit.problems import Invalid
from rapport.models.enums import Channel
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, is_htmx, render
from rapport.workspace.conversations import inbox
from rapport.workspace.conversations.page import CHANNEL_ICONS
from rapport.workspace.search import page, palette

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
FRAGMENTS = {"search-results": "search/_results.html", "search-list": "search/_more.html"}


@router.get("/search")
def search(request: Request, session: DB, viewer: Page, cursor: str = ""):
    """The search page; htmx asks for the results alone (the filters changed) or the next page of them."""
    form = page.read_form(request.query_params)
    try:
        found, error, status = page.run(session, viewer.actor, form, cursor=cursor or None), None, 200
    except Invalid as problem:
        field = (problem.extra.get("errors") or [{"field": "q"}])[0]["field"]
        found, error, status = page.SearchPage(form, [], None, searched=True), (field, problem.detail), 422
    target = request.headers.get("hx-target", "") if is_htmx(request) else ""
    context = {
        "found": found,
        "form": form,
        "error": error,
        "icons": CHANNEL_ICONS,
        "identity_icons": IDENTITY_ICONS,
        "identity_labels": IDENTITY_LABELS,
    }
    if target in FRAGMENTS:
        return render(request, FRAGMENTS[target], viewer, status=status, **context)
    choices = inbox.choices(session, viewer.actor)
    kinds = page.KIND_LABELS
    channels = [c.value for c in Channel]
    return render(
        request, "search/page.html", viewer, status=status, choices=choices, kinds=kinds, channels=channels, **context
    )


@router.get("/palette")
def command_palette(request: Request, session: DB, viewer: Page, q: str = ""):
    """The command palette's results for what was typed (a fragment of options)."""
    try:
        found, error = palette.entries(session, viewer.actor, q), None
    except Invalid as problem:
        found, error = [], problem.detail
    return render(request, "search/_palette.html", viewer, entries=found, q=q[:200], error=error)
