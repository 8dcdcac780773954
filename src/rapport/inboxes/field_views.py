"""Admin pages for custom field definitions (the service is conversations/fields.py; the API is inboxes/api.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.conversations import fields
from rapport.inboxes.schemas import FieldIn
from rapport.kit.schema import Id
from rapport.models.enums import FieldKind
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
KINDS = {"text": "Text", "number": "Number", "boolean": "Yes or no", "date": "Date", "select": "Choice from a list"}


@router.get("/admin/fields")
def field_list(request: Request, session: DB, viewer: Page):
    """Every custom field and the form for a new one."""
    return _list(request, session, viewer, {"kind": "text"})


@router.post("/admin/fields")
async def create_field(request: Request, session: DB, viewer: Page):
    """Define a custom field; a wrong value is shown next to its field and nothing is saved."""
    form = await _form(request)
    fields.managed(session, viewer.actor)  # admins only
    try:
        body = FieldIn.model_validate(
            {
                "key": form.get("key", "").strip(),
                "label": form.get("label", ""),
                "kind": form.get("kind", ""),
                "options": _lines(form.get("options", "")) if form.get("kind") == "select" else [],
                "required": form.get("required") == "on",
            }
        )
        row = fields.define(session, viewer.actor, **body.model_dump())
    except FORM_PROBLEMS as exc:
        refused(session)
        return _list(request, session, viewer, form, field_errors(exc))
    return redirect("/admin/fields", f"Added the field '{row.label}'.")


@router.get("/admin/fields/{field_id}")
def edit_field(request: Request, session: DB, viewer: Page, field_id: Id):
    """One custom field: its label, options and whether it is required."""
    row = fields.definition(session, viewer.actor, field_id)
    form = {"label": row.label, "options": "\n".join(row.options or []), "required": "on" if row.required else ""}
    return _edit(request, viewer, row, form)


@router.post("/admin/fields/{field_id}")
async def save_field(request: Request, session: DB, viewer: Page, field_id: Id):
    """Change a field's label, options or required flag."""
    form = await _form(request)
    row = fields.definition(session, viewer.actor, field_id)
    try:
        options = _lines(form.get("options", "")) if row.kind == FieldKind.select else None
        changed = fields.update(
            session, viewer.actor, field_id, label=form.get("label", ""), options=options,
            required=form.get("required") == "on",
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _edit(request, viewer, fields.definition(session, viewer.actor, field_id), form, field_errors(exc))
    return redirect("/admin/fields", f"Saved the field '{changed.label}'.")


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _list(request: Request, session, viewer, form: dict, errors: dict | None = None):
    return render_form(
        request,
        "inboxes/fields.html",
        viewer,
        fields=fields.managed(session, viewer.actor),
        kinds=KINDS,
        form={**form, "required": form.get("required") == "on"},
        errors=errors,
    )


def _edit(request: Request, viewer, row, form: dict, errors: dict | None = None):
    return render_form(
        request,
        "inboxes/field.html",
        viewer,
        field=row,
        kinds=KINDS,
        form={**form, "required": form.get("required") == "on"},
        errors=errors,
    )
