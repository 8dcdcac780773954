"""Admin pages for surveys (the service is surveys/service.py, the API surveys/api.py): the list, a new survey, and
one survey's questions and send rules (saving new questions or rules makes a new version)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.calendars import service as calendars
from rapport.kernel.permissions import authorize
from rapport.kit.problems import Invalid
from rapport.kit.schema import Id
from rapport.surveys import forms, service
from rapport.surveys.questions import DEFAULT_PROMPTS
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
NEW_FORM = forms.fields_of(
    "",
    True,
    [
        {"kind": "csat", "prompt": DEFAULT_PROMPTS["csat"], "points": 5},
        {"kind": "expectations", "prompt": DEFAULT_PROMPTS["expectations"]},
        {"kind": "text", "prompt": DEFAULT_PROMPTS["text"]},
    ],
    {
        "delay_minutes": 60,
        "min_messages": 2,
        "cooldown_days": 30,
        "sample_percent": 100,
        "expiry_days": 7,
        "channels": ["email"],
    },
)


@router.get("/admin/surveys")
def survey_list(request: Request, session: DB, viewer: Page):
    """Every survey with its version in force."""
    authorize(viewer.actor, "admin")
    rows = [(row, service.version(session, row.current_version_id)) for row in service.listed(session)]
    return render_form(request, "surveys/admin_list.html", viewer, surveys=rows)


@router.get("/admin/surveys/new")
def new_survey(request: Request, session: DB, viewer: Page):
    """The form for a new survey: CSAT, expectations and a comment to start from."""
    authorize(viewer.actor, "admin")
    return _form_page(request, session, viewer, None, dict(NEW_FORM))


@router.post("/admin/surveys/new")
async def create_survey(request: Request, session: DB, viewer: Page):
    """Add a survey; a wrong value is shown next to its field and nothing is saved."""
    authorize(viewer.actor, "admin")
    form = await _fields(request)
    try:
        row = service.create(
            session, viewer.actor, name=form.get("name", "").strip(), active=form.get("active") == "yes",
            questions=forms.questions_from(form), rules=forms.rules_from(form),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _form_page(request, session, viewer, None, form, _errors(exc))
    return redirect(f"/admin/surveys/{row.id}", f"Added the survey '{row.name}'.")


@router.get("/admin/surveys/{survey_id:int}")
def edit_survey(request: Request, session: DB, viewer: Page, survey_id: Id):
    """One survey: its name, whether it is sent, its questions and send rules."""
    authorize(viewer.actor, "admin")
    row = service.get(session, survey_id)
    version = service.version(session, row.current_version_id)
    form = forms.fields_of(row.name, row.active, version.questions, version.rules)
    return _form_page(request, session, viewer, row, form)


@router.post("/admin/surveys/{survey_id:int}")
async def save_survey(request: Request, session: DB, viewer: Page, survey_id: Id):
    """Save the survey (new questions or rules become a new version; requests already made keep theirs)."""
    authorize(viewer.actor, "admin")
    form = await _fields(request)
    try:
        row = service.update(
            session, viewer.actor, survey_id, name=form.get("name", "").strip(), active=form.get("active") == "yes",
            questions=forms.questions_from(form), rules=forms.rules_from(form),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _form_page(request, session, viewer, service.get(session, survey_id), form, _errors(exc))
    return redirect(f"/admin/surveys/{row.id}", f"Saved the survey '{row.name}'.")


@router.post("/admin/surveys/{survey_id:int}/delete")
async def delete_survey(request: Request, session: DB, viewer: Page, survey_id: Id):
    """Delete a survey never sent; one with answers is switched off instead (the page says so)."""
    authorize(viewer.actor, "admin")
    try:
        name = service.get(session, survey_id).name
        service.delete(session, viewer.actor, survey_id)
    except FORM_PROBLEMS as exc:
        refused(session)
        row = service.get(session, survey_id)
        version = service.version(session, row.current_version_id)
        form = forms.fields_of(row.name, row.active, version.questions, version.rules)
        return _form_page(request, session, viewer, row, form, _errors(exc))
    return redirect("/admin/surveys", f"Deleted the survey '{name}'.")


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if k not in ("csrf_token", "channels")}
    fields["channels"] = ",".join(str(c) for c in form.getlist("channels"))
    return fields


def _errors(exc) -> dict[str, str]:
    errors = field_errors(exc)
    if isinstance(exc, Invalid):
        return {forms.field_of(k): v for k, v in errors.items()}
    return errors


def _form_page(request: Request, session, viewer, row, form: dict, errors: dict | None = None):
    return render_form(
        request, "surveys/admin_edit.html", viewer, survey=row, form=form, errors=errors, rows=range(forms.rows()),
        kinds=[("", "— no question —"), *forms.KIND_NAMES.items()], channels=forms.CHANNELS,
        calendars=[("", "Every minute counts"), *((str(c.id), c.name) for c in calendars.listed(session))],
    )  # fmt: skip
