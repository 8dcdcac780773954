"""Admin pages for service policies: the ordered list, a new policy, one policy with its versions, and what-if.

The service is sla/policies.py (and sla/whatif.py); the form's fields are read and worded in sla/forms.py. "What if"
is a second submit button of the same form that sends it as a GET (its `formmethod`) to a what-if page: it replays
what the form says and shows the result above it, saving nothing, so an admin sees a policy's effect before saving
it. A GET, because a replay can take seconds and a POST's request would hold a write session (on SQLite, the
writer's turn from every inbound message) all that time.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.kernel.permissions import authorize
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.kit.schema import Id
from rapport.sla import forms, policies, whatif
from rapport.sla.targets import KINDS, LABELS, PAUSABLE
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
HOME = "/admin/sla"


@router.get(HOME)
def policy_list(request: Request, session: DB, viewer: Page):
    """Every policy in the order they are tried, with what each promises now."""
    authorize(viewer.actor, "admin")
    names = dict(forms.calendars(session))
    rows = []
    for policy in policies.listed(session):
        current = policies.version_at(session, policy.id, now())
        rows.append({"policy": policy, "targets": forms.describe(current.targets, names) if current else []})
    return render_form(request, "sla/admin_list.html", viewer, rows=rows)


@router.post(HOME + "/{policy_id}/move")
async def move_policy(request: Request, session: DB, viewer: Page, policy_id: Id):
    """Try a policy one place earlier (`direction=up`) or later."""
    authorize(viewer.actor, "admin")
    form = await request.form()
    ids = [p.id for p in policies.listed(session)]
    policies.get(session, policy_id)
    at = ids.index(policy_id)
    to = at - 1 if form.get("direction") == "up" else at + 1
    if 0 <= to < len(ids):
        ids[at], ids[to] = ids[to], ids[at]
        policies.reorder(session, viewer.actor, ids)
    return redirect(HOME, "Saved the order of the policies.")


@router.post(HOME + "/{policy_id}/active")
async def switch_policy(request: Request, session: DB, viewer: Page, policy_id: Id):
    """Switch a policy on or off (its versions stay as they are)."""
    authorize(viewer.actor, "admin")
    form = await request.form()
    row = policies.update(session, viewer.actor, policy_id, active=form.get("active") == "on")
    return redirect(HOME, f"Switched the policy '{row.name}' {'on' if row.active else 'off'}.")


@router.get(HOME + "/new")
def new_policy(request: Request, session: DB, viewer: Page):
    """The form for a new policy."""
    authorize(viewer.actor, "admin")
    choices = forms.calendars(session)
    form = {"name": "", "description": "", **forms.blank([i for i, _ in choices])}
    return _new(request, viewer, choices, form)


@router.post(HOME + "/new")
async def create_policy(request: Request, session: DB, viewer: Page):
    """Add the policy; a wrong value is shown beside its field."""
    form = forms.read(await request.form())
    choices = forms.calendars(session)
    enabled = [k for k in KINDS if form["targets"][k]["on"]]
    try:
        condition, targets = forms.to_condition(form.get("condition", "")), forms.to_targets(form["targets"])
        row = policies.create(
            session, viewer.actor, name=form.get("name", ""), description=form.get("description", ""),
            condition=condition, targets=targets,
            effective_from=forms.to_instant(form.get("effective_from", ""), viewer.timezone),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _new(request, viewer, choices, form, forms.form_errors(field_errors(exc), enabled))
    return redirect(f"{HOME}/{row.id}", f"Added the policy '{row.name}'.")


@router.get(HOME + "/new/what-if")
def new_policy_whatif(request: Request, session: DB, viewer: Page):
    """The new-policy form as filled in, with the replay of what it says above it (a read: nothing is saved)."""
    authorize(viewer.actor, "admin")
    form = forms.read(request.query_params)
    choices = forms.calendars(session)
    try:
        result = _replay(session, viewer, form)
    except FORM_PROBLEMS as exc:
        return _new(request, viewer, choices, form, _errors(exc, form))
    return _new(request, viewer, choices, form, result=result)


@router.get(HOME + "/{policy_id}")
def edit_policy(request: Request, session: DB, viewer: Page, policy_id: Id):
    """One policy: its name and state, a new version of its condition and targets, and its version history."""
    authorize(viewer.actor, "admin")
    row = policies.get(session, policy_id)
    return _edit(request, session, viewer, row, _details(row), _version_form(session, row))


@router.post(HOME + "/{policy_id}")
async def save_policy(request: Request, session: DB, viewer: Page, policy_id: Id):
    """Rename, describe, switch off or on a policy."""
    form = forms.read(await request.form())
    try:
        row = policies.update(
            session, viewer.actor, policy_id, name=form.get("name", ""), description=form.get("description", ""),
            active=form.get("active") == "on",
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        row = policies.get(session, policy_id)
        details = {**form, "active": form.get("active") == "on"}
        return _edit(request, session, viewer, row, details, _version_form(session, row), field_errors(exc))
    return redirect(f"{HOME}/{row.id}", f"Saved the policy '{row.name}'.")


@router.get(HOME + "/{policy_id}/what-if")
def version_whatif(request: Request, session: DB, viewer: Page, policy_id: Id):
    """One policy's page with its new-version form as filled in and the replay of what it says (nothing is saved)."""
    authorize(viewer.actor, "admin")
    row = policies.get(session, policy_id)
    form = forms.read(request.query_params)
    try:
        result = _replay(session, viewer, form)
    except FORM_PROBLEMS as exc:
        return _edit(request, session, viewer, row, _details(row), form, _errors(exc, form))
    return _edit(request, session, viewer, row, _details(row), form, result=result)


@router.post(HOME + "/{policy_id}/versions")
async def add_version(request: Request, session: DB, viewer: Page, policy_id: Id):
    """A new version from the chosen date."""
    form = forms.read(await request.form())
    enabled = [k for k in KINDS if form["targets"][k]["on"]]
    row = policies.get(session, policy_id)
    try:
        condition, targets = forms.to_condition(form.get("condition", "")), forms.to_targets(form["targets"])
        version = policies.revise(
            session, viewer.actor, policy_id, condition=condition, targets=targets,
            effective_from=forms.to_instant(form.get("effective_from", ""), viewer.timezone),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        row = policies.get(session, policy_id)
        errors = forms.form_errors(field_errors(exc), enabled)
        return _edit(request, session, viewer, row, _details(row), form, errors)
    when = version.effective_from.isoformat(timespec="minutes")
    return redirect(f"{HOME}/{row.id}", f"Saved a new version of '{row.name}', in force from {when} UTC.")


def _replay(session, viewer, form) -> whatif.Result:
    condition, targets = forms.to_condition(form.get("condition", "")), forms.to_targets(form["targets"])
    days = form.get("days", "").strip()
    if not days.isdigit():
        raise Invalid("Enter how many days to replay, a whole number.", errors=[{"field": "days"}])
    return whatif.replay(session, viewer.actor, condition=condition, targets=targets, days=int(days))


def _errors(exc, form) -> dict:
    return forms.form_errors(field_errors(exc), [k for k in KINDS if form["targets"][k]["on"]])


def _details(row) -> dict:
    return {"name": row.name, "description": row.description, "active": row.active}


def _version_form(session, row) -> dict:
    latest = policies.versions(session, row.id)[0]
    current = policies.version_at(session, row.id, now()) or latest
    return {
        "condition": forms.condition_text(current.condition),
        "targets": forms.from_targets(current.targets),
        "effective_from": "",
        "days": "30",
    }


def _common(choices) -> dict:
    return {
        "kinds": KINDS, "labels": LABELS, "hints": forms.HINTS, "units": list(forms.UNITS), "pausable": PAUSABLE,
        "calendars": choices, "duration": forms.duration,
    }  # fmt: skip


def _new(request: Request, viewer, choices, form: dict, errors: dict | None = None, result=None):
    return render_form(
        request, "sla/admin_new.html", viewer, errors=errors, form=form, result=result, **_common(choices)
    )


def _edit(request: Request, session, viewer, row, details: dict, form: dict, errors: dict | None = None, result=None):
    choices = forms.calendars(session)
    names = dict(choices)
    history = [
        {"version": v, "targets": forms.describe(v.targets, names), "condition": forms.condition_text(v.condition)}
        for v in policies.versions(session, row.id)
    ]
    current = policies.version_at(session, row.id, now())
    return render_form(
        request, "sla/admin_edit.html", viewer, errors=errors, policy=row, details=details, form=form, result=result,
        history=history, current_id=current.id if current else None, now=now(), **_common(choices),
    )  # fmt: skip
