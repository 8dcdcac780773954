"""Admin pages of the inboxes domain: inboxes with their channel connections, and custom field definitions."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.inboxes import admin, forms, service
from rapport.inboxes import field_views as _field_views
from rapport.inboxes.admin import InboxRow
from rapport.inboxes.schemas import InboxIn, InboxPatch
from rapport.kit.schema import Id
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, Viewer, WorkspaceRoute, redirect, render, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
router.include_router(_field_views.router)
STATES = {"ready": "Connected", "partial": "Partly set up", "missing": "Not connected", "off": "Inactive"}
CHANNEL_NAMES = {
    "email": "Email",
    "chat": "Web chat",
    "sms": "SMS (Twilio)",
    "phone": "Phone (Twilio)",
    "whatsapp": "WhatsApp",
    "portal": "Customer portal",
    "api": "API",
}


@router.get("/admin/inboxes")
def inbox_list(request: Request, session: DB, viewer: Page):
    """Every inbox with its channel, address, team and connection."""
    return render(request, "inboxes/list.html", viewer, rows=admin.inboxes(session, viewer.actor), states=STATES)


@router.get("/admin/inboxes/new")
def new_inbox(request: Request, session: DB, viewer: Page, channel: str = "email"):
    """The form for a new inbox; htmx asks for it again when the channel changes (and keeps the settings part)."""
    channel = channel if channel in CHANNEL_NAMES else "email"
    return _form(request, session, viewer, None, channel, forms.shown(channel, {}))


@router.post("/admin/inboxes")
async def create_inbox(request: Request, session: DB, viewer: Page):
    """Create an inbox with its settings; a wrong value is shown next to its field and nothing is saved."""
    form = await _fields(request)
    channel = form.get("channel", "")
    admin.teams(session, viewer.actor)  # admins only, before anything is read from the form
    try:
        body = InboxIn.model_validate({**_base(form), "channel": channel})
        settings = forms.settings_from(channel, form, None)
        inbox = service.create(session, viewer.actor, **body.model_dump(exclude={"channel", "settings"}),
                               channel=body.channel.value, settings=settings)  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        shown = forms.shown(channel, {}, submitted=form)
        return _form(request, session, viewer, None, channel if channel in CHANNEL_NAMES else "email", shown, exc, form)
    return redirect(f"/admin/inboxes/{inbox.id}", f"Created the inbox '{inbox.name}'.")


@router.get("/admin/inboxes/{inbox_id}")
def edit_inbox(request: Request, session: DB, viewer: Page, inbox_id: Id):
    """One inbox: its name, address, team and channel settings (secrets never shown)."""
    row = admin.inbox(session, viewer.actor, inbox_id)
    return _form(request, session, viewer, row, row.inbox.channel, forms.shown(row.inbox.channel, row.inbox.settings))


@router.post("/admin/inboxes/{inbox_id}")
async def save_inbox(request: Request, session: DB, viewer: Page, inbox_id: Id):
    """Save an inbox; an empty secret keeps the stored one; a wrong value is shown next to its field."""
    form = await _fields(request)
    row = admin.inbox(session, viewer.actor, inbox_id)
    channel, stored = row.inbox.channel, dict(row.inbox.settings or {})
    try:
        body = InboxPatch.model_validate({**_base(form), "active": form.get("active") == "on"})
        settings = forms.settings_from(channel, form, stored)
        service.update(session, viewer.actor, inbox_id, **body.model_dump(exclude={"settings"}), settings=settings)
    except FORM_PROBLEMS as exc:
        refused(session)
        row = admin.inbox(session, viewer.actor, inbox_id)
        return _form(request, session, viewer, row, channel, forms.shown(channel, stored, submitted=form), exc, form)
    return redirect(f"/admin/inboxes/{inbox_id}", f"Saved the inbox '{body.name}'.")


async def _fields(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _base(form: dict[str, str]) -> dict:
    team = form.get("team_id", "").strip()
    base = {
        "name": form.get("name", ""),
        "address": form.get("address", "").strip() or None,
        "team_id": int(team) if team.isdigit() else None,
    }
    if "signature" in form:  # an email inbox's form has it; other forms leave the stored one alone
        base["signature"] = form["signature"]
    return base


def _form(
    request: Request,
    session,
    viewer: Viewer,
    row: InboxRow | None,
    channel: str,
    shown: forms.Shown,
    problem=None,
    submitted: dict[str, str] | None = None,
):
    errors = forms.place(channel, field_errors(problem)) if problem is not None else {}
    if row is not None and submitted is None:
        submitted = {
            "name": row.inbox.name,
            "address": row.inbox.address or "",
            "team_id": str(row.inbox.team_id or ""),
            "active": "on" if row.inbox.active else "",
            "signature": row.inbox.signature or "",
        }
    base = submitted or {"name": "", "address": "", "team_id": "", "active": "on"}
    teams = [(str(t.id), t.name) for t in admin.teams(session, viewer.actor)]
    fragment = request.headers.get("hx-target") == "channel-settings"
    return render_form(
        request,
        "inboxes/_settings.html" if fragment else "inboxes/edit.html",
        viewer,
        row=row,
        channel=channel,
        channels=list(CHANNEL_NAMES.items()),
        channel_names=CHANNEL_NAMES,
        teams=teams,
        base={**base, "active": base.get("active") == "on"},
        sections=forms.sections(channel),
        shown=shown,
        errors=errors,
        states=STATES,
        connect=admin.how_to_connect(row.inbox) if row else [],
    )
