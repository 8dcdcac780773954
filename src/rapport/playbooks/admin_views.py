"""Admin pages for playbook templates (the service is playbooks/templates.py): the list, a new template, and one
template's editor with its steps and version history."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.agents import repository as agents
from rapport.calendars import service as calendars
from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.playbooks import forms, templates
from rapport.playbooks.schemas import TemplatePatch
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
OWNERS = [("assignee", "The assignee"), ("team", "A team"), ("role", "A role")]
ROLES = [("", "—"), ("agent", "Agent"), ("supervisor", "Supervisor"), ("admin", "Admin")]
FROM = [("start", "after the start"), ("previous", "after the step before")]
EVIDENCE = [("none", "Nothing"), ("note", "A note"), ("attachment", "An attachment"), ("field", "A field value")]
ACTIONS = [("", "None"), ("wait_for_customer", "Wait for the customer"), ("request_approval", "Request approval")]


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _choices(session) -> dict:
    return {
        "teams": [("", "—")] + [(t.id, t.name) for t in agents.all_teams(session)],
        "calendars": [("", "Calendar time (around the clock)")] + [(c.id, c.name) for c in calendars.listed(session)],
        "owners": OWNERS, "roles": ROLES, "froms": FROM, "evidence": EVIDENCE, "actions": ACTIONS,
    }  # fmt: skip


def _editor(request, session, viewer, form: dict, *, template=None, errors=None):
    for i in range(forms.rows(form)):  # a blank row offers a required step, as most are
        if not form.get(f"steps.{i}.title"):
            form.setdefault(f"steps.{i}.required", "on")
    history = templates.versions(session, template.id) if template else []
    return render_form(request, "playbooks/edit.html", viewer, errors=errors, form=form, playbook=template,
                       versions=history, rows=forms.rows(form), **_choices(session))  # fmt: skip


@router.get("/admin/playbooks")
def template_list(request: Request, session: DB, viewer: Page):
    """Every template with its newest version."""
    authorize(viewer.actor, "admin")
    rows = templates.listed(session)
    newest = templates.latest_of(session, [t.id for t in rows])
    return render_form(request, "playbooks/list.html", viewer, rows=[(t, newest[t.id]) for t in rows])


@router.get("/admin/playbooks/new")
def new_template(request: Request, session: DB, viewer: Page):
    """An empty editor."""
    authorize(viewer.actor, "admin")
    return _editor(request, session, viewer, {"active": "on"})


@router.post("/admin/playbooks/new")
async def create_template(request: Request, session: DB, viewer: Page):
    """Add a template; a wrong value is shown beside its field and nothing is saved."""
    authorize(viewer.actor, "admin")
    form = await _form(request)
    row_of: list[int] = []
    try:
        content, row_of = forms.content_from(form)
        row = templates.create(session, viewer.actor, content)
    except FORM_PROBLEMS as exc:
        refused(session)
        return _editor(request, session, viewer, form, errors=forms.errors_on_rows(field_errors(exc), row_of))
    return redirect(f"/admin/playbooks/{row.id}", f"Added the playbook '{row.name}'.")


@router.get("/admin/playbooks/{template_id:int}")
def edit_template(request: Request, session: DB, viewer: Page, template_id: Id):
    """One template: its newest version in the editor, and every version."""
    authorize(viewer.actor, "admin")
    row = templates.get(session, template_id)
    form = forms.form_from(templates.latest(session, row.id), name=row.name, active=row.active)
    return _editor(request, session, viewer, form, template=row)


@router.post("/admin/playbooks/{template_id:int}")
async def save_template(request: Request, session: DB, viewer: Page, template_id: Id):
    """Save the editor as a new version (and the name and on/off switch); running playbooks keep theirs."""
    authorize(viewer.actor, "admin")
    row = templates.get(session, template_id)
    form = await _form(request)
    row_of: list[int] = []
    try:
        content, row_of = forms.content_from(form)
        name, active = content.pop("name"), content.pop("active")
        templates.update(session, viewer.actor, template_id, TemplatePatch(name=name, active=active))
        version = templates.revise(session, viewer.actor, template_id, content)
    except FORM_PROBLEMS as exc:
        refused(session)
        row = templates.get(session, template_id)
        return _editor(request, session, viewer, form, template=row,
                       errors=forms.errors_on_rows(field_errors(exc), row_of))  # fmt: skip
    return redirect(f"/admin/playbooks/{row.id}", f"Saved version {version.number} of '{row.name}'.")
