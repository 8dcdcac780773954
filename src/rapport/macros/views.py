"""Workspace pages for macros (the service is macros/service.py, the API macros/api.py): the list with each macro's
uses and reopen rate, and the editor. The composer's picker (macros/_picker.html, static/macros.js) uses the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from rapport.categories import service as categories
from rapport.config import get_settings
from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.macros import placeholders, service
from rapport.macros.forms import changes_from, form_from, team_from
from rapport.models import Agent, Team
from rapport.models.enums import Priority, Status
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
PLACES = {"personal": "Only me", "team": "A team", "shared": "Everyone"}


SORTS = {
    "name": "Name",
    "uses": "Most used",
    "reopened": "Most reopened",
}


@router.get("/macros")
def macro_list(request: Request, session: DB, viewer: Page, sort: str = "name"):
    """The macros this agent may use, each with its uses and how often its conversations reopened soon after;
    sorted by name, by uses, or by reopen rate (weak macros first)."""
    macros = service.usable(session, viewer.actor)
    found = service.measures(session, macros)
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    rows = [(m, found[m.id], service.may_manage(viewer.actor, m)) for m in macros]
    sort = sort if sort in SORTS else "name"
    if sort == "uses":
        rows.sort(key=lambda r: -r[1].uses)
    elif sort == "reopened":
        rows.sort(key=lambda r: (-(r[1].reopen_rate or 0), -r[1].uses))
    days = get_settings().macro_reopen_days
    return render_form(
        request, "macros/list.html", viewer, rows=rows, teams=teams, reopen_days=days, sort=sort, sorts=SORTS
    )


@router.get("/macros/new")
def new_macro(request: Request, session: DB, viewer: Page):
    """The editor for a new macro (personal to start with)."""
    authorize(viewer.actor, "conversations.write")
    return _editor(request, session, viewer, None, {"visibility": "personal"})


@router.post("/macros/new")
async def create_macro(request: Request, session: DB, viewer: Page):
    """Add a macro; a wrong value is shown next to its field and nothing is saved."""
    form = await _form(request)
    try:
        row = service.create(
            session, viewer.actor, name=form.get("name", ""), visibility=form.get("visibility", "personal"),
            team_id=team_from(form), body=form.get("body", ""), note=form.get("note", ""), changes=changes_from(form),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _editor(request, session, viewer, None, form, field_errors(exc))
    return redirect("/macros", f"Added the macro '{row.name}'.")


@router.get("/macros/{macro_id:int}")
def edit_macro(request: Request, session: DB, viewer: Page, macro_id: Id):
    """One macro: its editor when this agent may change it, else what it does."""
    row = service.get(session, viewer.actor, macro_id)
    return _editor(request, session, viewer, row, form_from(row))


@router.post("/macros/{macro_id:int}")
async def save_macro(request: Request, session: DB, viewer: Page, macro_id: Id):
    """Save the macro's changes."""
    form = await _form(request)
    try:
        row = service.update(
            session, viewer.actor, macro_id, name=form.get("name", ""), visibility=form.get("visibility", ""),
            team_id=team_from(form), body=form.get("body", ""), note=form.get("note", ""), changes=changes_from(form),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _editor(request, session, viewer, service.get(session, viewer.actor, macro_id), form, field_errors(exc))
    return redirect("/macros", f"Saved the macro '{row.name}'.")


@router.post("/macros/{macro_id:int}/delete")
async def delete_macro(request: Request, session: DB, viewer: Page, macro_id: Id):
    """Delete the macro."""
    row = service.get(session, viewer.actor, macro_id)
    name = row.name
    service.delete(session, viewer.actor, macro_id)
    return redirect("/macros", f"Deleted the macro '{name}'.")


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _editor(request: Request, session, viewer, row, form: dict, errors: dict | None = None):
    actor = viewer.actor
    places = {k: v for k, v in PLACES.items() if k == "personal" or actor.can("macros.manage")}
    return render_form(
        request,
        "macros/edit.html",
        viewer,
        errors=errors,
        macro=row,
        form=form,
        editable=row is None or service.may_manage(actor, row),
        places=places,
        teams=list(session.execute(select(Team.id, Team.name).order_by(Team.name))),
        agents=list(session.execute(select(Agent.id, Agent.name).where(Agent.active).order_by(Agent.name))),
        categories=[c.name for c in categories.listed(session) if c.active],
        statuses=[s.value for s in Status if s != Status.closed],
        priorities=[p.value for p in Priority],
        placeholders=placeholders.KNOWN,
    )
