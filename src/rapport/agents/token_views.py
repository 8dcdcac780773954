"""Admin pages for API tokens: every token, a new one (its secret shown once), revoking one after a confirmation."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.agents import admin, service
from rapport.agents.schemas import TokenIn
from rapport.kit.schema import Id
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, Viewer, WorkspaceRoute, redirect, render, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)


@router.get("/admin/tokens")
def token_list(request: Request, session: DB, viewer: Page):
    """Every token and the form for a new one."""
    return _page(request, session, viewer, {"name": "", "agent_id": str(viewer.id), "scopes": ["read"]})


@router.post("/admin/tokens")
async def create_token(request: Request, session: DB, viewer: Page):
    """Create a token and show its secret on this page, once (it is stored only as a hash)."""
    data = await request.form()
    form = {"name": str(data.get("name", "")), "agent_id": str(data.get("agent_id", "")),
            "scopes": [str(s) for s in data.getlist("scopes")]}  # fmt: skip
    admin.tokens(session, viewer.actor)  # admins only, before anything is read from the form
    try:
        body = TokenIn.model_validate(
            {**form, "agent_id": int(form["agent_id"]) if form["agent_id"].isdigit() else None}
        )
        token, plain = service.create_token(
            session, viewer.actor, name=body.name, scopes=body.scopes, agent_id=body.agent_id
        )
    except FORM_PROBLEMS as exc:
        refused(session)
        return _page(request, session, viewer, form, field_errors(exc))
    session.flush()
    blank = {"name": "", "agent_id": str(viewer.id), "scopes": ["read"]}
    return _page(request, session, viewer, blank, created=token, plain=plain)


@router.get("/admin/tokens/{token_id}/revoke")
def confirm_revoke(request: Request, session: DB, viewer: Page, token_id: Id):
    """Ask before revoking a token."""
    row = admin.token(session, viewer.actor, token_id)
    return render(
        request,
        "agents/admin_confirm.html",
        viewer,
        title=f"Revoke the token '{row.token.name}'?",
        question=f"Programs using it (acting as {row.agent_name}) are refused from now on. This cannot be undone; "
        "you can create a new token instead.",
        action=f"/admin/tokens/{token_id}/revoke",
        confirm="Revoke",
        back="/admin/tokens",
    )


@router.post("/admin/tokens/{token_id}/revoke")
def revoke(session: DB, viewer: Page, token_id: Id):
    """Revoke a token at once."""
    admin.token(session, viewer.actor, token_id)  # admins only here, even for their own token
    token = service.revoke_token(session, viewer.actor, token_id)
    return redirect("/admin/tokens", f"Revoked the token '{token.name}'.")


def _page(
    request: Request, session, viewer: Viewer, form: dict, errors: dict | None = None, created=None, plain: str = ""
):
    agents = [(str(a.id), f"{a.name} ({a.role})") for a in admin.directory(session, viewer.actor).agents if a.active]
    return render_form(
        request,
        "agents/tokens.html",
        viewer,
        rows=admin.tokens(session, viewer.actor),
        agents=agents,
        scopes=[(k, f"{k}: {v}") for k, v in admin.SCOPE_WORDS.items()],
        form=form,
        created=created,
        created_plain=plain,
        errors=errors,
    )
