"""Admin pages for categories (the service is categories/service.py, the API categories/api.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.categories import service
from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)


@router.get("/admin/categories")
def category_list(request: Request, session: DB, viewer: Page):
    """Every category and the form for a new one."""
    authorize(viewer.actor, "admin")
    return _list(request, session, viewer, {})


@router.post("/admin/categories")
async def create_category(request: Request, session: DB, viewer: Page):
    """Add a category; a wrong value is shown next to its field and nothing is saved."""
    form = await _form(request)
    try:
        row = service.create(session, viewer.actor, name=form.get("name", ""), description=form.get("description", ""))
    except FORM_PROBLEMS as exc:
        refused(session)
        return _list(request, session, viewer, form, field_errors(exc))
    return redirect("/admin/categories", f"Added the category '{row.name}'.")


@router.get("/admin/categories/{category_id}")
def edit_category(request: Request, session: DB, viewer: Page, category_id: Id):
    """One category: its name, description and whether agents may still choose it."""
    authorize(viewer.actor, "admin")
    row = service.get(session, category_id)
    form = {"name": row.name, "description": row.description, "active": "on" if row.active else ""}
    return _edit(request, viewer, row, form)


@router.post("/admin/categories/{category_id}")
async def save_category(request: Request, session: DB, viewer: Page, category_id: Id):
    """Rename, describe, retire or bring back a category."""
    form = await _form(request)
    try:
        row = service.update(
            session, viewer.actor, category_id, name=form.get("name", ""), description=form.get("description", ""),
            active=form.get("active") == "on",
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _edit(request, viewer, service.get(session, category_id), form, field_errors(exc))
    return redirect("/admin/categories", f"Saved the category '{row.name}'.")


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _list(request: Request, session, viewer, form: dict, errors: dict | None = None):
    return render_form(
        request, "categories/list.html", viewer, categories=service.listed(session), form=form, errors=errors
    )


def _edit(request: Request, viewer, row, form: dict, errors: dict | None = None):
    form = {**form, "active": form.get("active") == "on"}
    return render_form(request, "categories/edit.html", viewer, category=row, form=form, errors=errors)
