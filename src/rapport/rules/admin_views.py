"""Admin pages for rules: the ordered list (switch on and off, move), the editor (a new rule, a new version) with a
replay before saving, and each rule's version history.

The editor builds a definition from rows of tests and actions (rules.forms); "Replay" is a second submit button that
sends the form as a GET to a replay page, which shows what the rule would have done above the form as filled in and
saves nothing. A GET, so a replay never holds a write session (on SQLite, the writer's turn).
"""

from __future__ import annotations

import difflib
import json

from fastapi import APIRouter, Request

from rapport.calendars import service as calendars
from rapport.kernel.permissions import authorize
from rapport.kit.problems import Invalid
from rapport.kit.schema import Id
from rapport.rules import definition, forms, replay, service, vocabulary
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
HOME = "/admin/rules"


@router.get(HOME)
def rule_list(request: Request, session: DB, viewer: Page):
    """Every rule in the order they run, with what each does."""
    authorize(viewer.actor, "admin")
    rows = []
    for rule in service.listed(session, viewer.actor):
        version = service.current(session, rule)
        rows.append({"rule": rule, "version": version, "does": _would_do_of(version),
                     "events": (version.definition.get("events") if version else [])})  # fmt: skip
    return render_form(request, "rules/admin_list.html", viewer, rows=rows)


def _would_do_of(version) -> list[str]:
    if version is None:
        return []
    try:
        parts = definition.parts(version.definition)
    except LookupError as exc:
        return [f"cannot run: {exc}"]
    return [action.describe(params) for action, params in parts[2]]


@router.post(HOME + "/{rule_id}/move")
async def move_rule(request: Request, session: DB, viewer: Page, rule_id: Id):
    """Run a rule one place earlier (`direction=up`) or later."""
    authorize(viewer.actor, "admin")
    form = await request.form()
    service.move(session, viewer.actor, rule_id, by=-1 if form.get("direction") == "up" else 1)
    return redirect(HOME, "Saved the order of the rules.")


@router.post(HOME + "/{rule_id}/enabled")
async def switch_rule(request: Request, session: DB, viewer: Page, rule_id: Id):
    """Switch a rule on or off (its versions stay as they are)."""
    form = await request.form()
    rule = service.update(session, viewer.actor, rule_id, enabled=form.get("enabled") == "on")
    return redirect(HOME, f"Switched the rule '{rule.name}' {'on' if rule.enabled else 'off'}.")


@router.get(HOME + "/new")
def new_rule(request: Request, session: DB, viewer: Page):
    """The editor for a new rule."""
    authorize(viewer.actor, "admin")
    return _editor(request, session, viewer, forms.blank())


@router.post(HOME + "/new")
async def create_rule(request: Request, session: DB, viewer: Page):
    """Add the rule; what is wrong is said beside its row, and nothing is saved."""
    form = forms.read(await request.form())
    try:
        rule = service.create(session, viewer.actor, name=form["name"], kind=form["kind"],
                              definition_=forms.to_definition(form))  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _editor(request, session, viewer, form, errors=_errors(exc))
    return redirect(f"{HOME}/{rule.id}", f"Added the rule '{rule.name}'.")


@router.get(HOME + "/new/replay")
def new_rule_replay(request: Request, session: DB, viewer: Page):
    """The editor as filled in, with what the rule would have done over the last days above it (nothing is saved)."""
    authorize(viewer.actor, "admin")
    form = forms.read(request.query_params)
    try:
        result = _replay(session, viewer, form)
    except FORM_PROBLEMS as exc:
        return _editor(request, session, viewer, form, errors=_errors(exc))
    return _editor(request, session, viewer, form, result=result)


@router.get(HOME + "/{rule_id}")
def edit_rule(request: Request, session: DB, viewer: Page, rule_id: Id):
    """One rule: its name and state, a new version in the editor (from the current one), and its versions."""
    authorize(viewer.actor, "admin")
    rule = service.get(session, viewer.actor, rule_id)
    version = service.current(session, rule)
    form = forms.from_definition(rule.name, rule.kind, version.definition if version else {})
    return _editor(request, session, viewer, form, rule=rule)


@router.post(HOME + "/{rule_id}")
async def rename_rule(request: Request, session: DB, viewer: Page, rule_id: Id):
    """Rename a rule."""
    form = await request.form()
    try:
        rule = service.update(session, viewer.actor, rule_id, name=form.get("name", ""))
    except FORM_PROBLEMS as exc:
        refused(session)
        rule = service.get(session, viewer.actor, rule_id)
        version = service.current(session, rule)
        editor = forms.from_definition(rule.name, rule.kind, version.definition if version else {})
        return _editor(request, session, viewer, editor, rule=rule, errors={"rename": field_errors(exc).get("name",
                       str(exc))})  # fmt: skip
    return redirect(f"{HOME}/{rule.id}", f"Renamed the rule to '{rule.name}'.")


@router.post(HOME + "/{rule_id}/versions")
async def add_version(request: Request, session: DB, viewer: Page, rule_id: Id):
    """Save the editor as the rule's new version."""
    form = forms.read(await request.form())
    rule = service.get(session, viewer.actor, rule_id)
    form["kind"] = rule.kind  # a rule keeps its kind
    try:
        version = service.revise(session, viewer.actor, rule_id, definition_=forms.to_definition(form))
    except FORM_PROBLEMS as exc:
        refused(session)
        rule = service.get(session, viewer.actor, rule_id)
        return _editor(request, session, viewer, form, rule=rule, errors=_errors(exc))
    return redirect(f"{HOME}/{rule_id}", f"Saved version {version.number} of '{rule.name}'.")


@router.get(HOME + "/{rule_id}/replay")
def version_replay(request: Request, session: DB, viewer: Page, rule_id: Id):
    """One rule's page with the editor as filled in and what it would have done (nothing is saved)."""
    authorize(viewer.actor, "admin")
    rule = service.get(session, viewer.actor, rule_id)
    form = forms.read(request.query_params)
    form["kind"] = rule.kind
    try:
        result = _replay(session, viewer, form)
    except FORM_PROBLEMS as exc:
        return _editor(request, session, viewer, form, rule=rule, errors=_errors(exc))
    return _editor(request, session, viewer, form, rule=rule, result=result)


def _replay(session, viewer, form) -> dict:
    days = form.get("days", "")
    if not str(days).isdigit():
        raise Invalid("Enter how many days to replay, a whole number.", errors=[{"field": "days"}])
    return replay.replay(
        session, viewer.actor, kind=form["kind"], definition_=forms.to_definition(form), days=int(days)
    )


def _errors(exc) -> dict:
    errors = forms.form_errors(field_errors(exc))
    detail = getattr(exc, "detail", None)
    if detail and "form" not in errors:
        errors["form"] = detail
    return errors


def _diff(before, after) -> str:
    """What a version changed from the one before it, as a unified diff of the definitions (empty for the first)."""
    if before is None:
        return ""
    lines = [json.dumps(v.definition, indent=2, sort_keys=True).splitlines() for v in (before, after)]
    diff = difflib.unified_diff(*lines, f"version {before.number}", f"version {after.number}", lineterm="", n=2)
    return "\n".join(diff)


def _editor(request: Request, session, viewer, form: dict, *, rule=None, errors=None, result=None):
    history = []
    if rule is not None:
        versions = service.versions(session, viewer.actor, rule.id)
        for v, before in zip(versions, [*versions[1:], None], strict=True):
            history.append({"version": v, "does": _would_do_of(v), "events": v.definition.get("events", []),
                            "current": v.id == rule.version_id, "diff": _diff(before, v)})  # fmt: skip
    return render_form(
        request, "rules/admin_edit.html", viewer, errors=errors, form=form, rule=rule, result=result,
        history=history, events=vocabulary.event_names(), fields=forms.field_choices(),
        operators=forms.operator_choices(), actions=forms.action_choices(), hints=forms.VALUE_HINTS,
        calendars=[(str(c.id), c.name) for c in calendars.listed(session)],
    )  # fmt: skip
