"""Admin pages for routing (the service is routing/service.py, the API routing/api.py): the queues' settings per
team and inbox, the skill vocabulary, and each agent's capacity, channel weights and caps, shift hours and skills."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from rapport.calendars import service as calendars
from rapport.kernel.permissions import authorize
from rapport.kit.problems import Invalid, NotFound
from rapport.kit.schema import Id
from rapport.models import Inbox, Team
from rapport.models.enums import Channel
from rapport.routing import service
from rapport.routing.decide import MODES
from rapport.routing.service import SKILL_KINDS
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
MODE_LABELS = {"balanced": "Balanced by spare capacity", "round_robin": "Round robin", "manual": "Manual pull"}
CHANNELS = tuple(c.value for c in Channel)


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _scopes(session) -> tuple[dict[int, str], dict[int, str]]:
    teams = {t.id: t.name for t in session.scalars(select(Team).order_by(Team.name))}
    inboxes = {i.id: i.name for i in session.scalars(select(Inbox).order_by(Inbox.name))}
    return teams, inboxes


def _page(request, session, viewer, form=None, errors=None):
    teams, inboxes = _scopes(session)
    scope_options = [("", "Choose a team or an inbox")]
    scope_options += [(f"team:{i}", f"Team · {n}") for i, n in teams.items()]
    scope_options += [(f"inbox:{i}", f"Inbox · {n}") for i, n in inboxes.items()]
    return render_form(
        request, "routing/admin.html", viewer, errors,
        settings=service.settings(session, viewer.actor), agents=service.overview(session, viewer.actor),
        skills=service.skills(session, viewer.actor), teams=teams, inboxes=inboxes, scope_options=scope_options,
        modes=[(m, MODE_LABELS[m]) for m in MODES], kinds=[(k, k.capitalize()) for k in SKILL_KINDS],
        form=form or {"mode": "balanced", "sticky_days": "0"},
    )  # fmt: skip


@router.get("/admin/routing")
def routing_page(request: Request, session: DB, viewer: Page):
    """The queues' settings, the skills and the agents as routing sees them."""
    authorize(viewer.actor, "admin")
    return _page(request, session, viewer)


def _whole(form: dict, name: str, *, blank=None, scale: int = 1):
    text = form.get(name, "").strip()
    if not text:
        return blank
    try:
        return int(text) * scale
    except ValueError:
        raise Invalid(f"{name.replace('_', ' ')} must be a whole number.", errors=[{"field": name}]) from None


@router.post("/admin/routing/settings")
async def save_setting(request: Request, session: DB, viewer: Page):
    """Create or replace one team's or inbox's setting; a wrong value is shown beside its field, nothing saved."""
    form = await _form(request)
    kind, _, raw = form.get("scope", "").partition(":")
    try:
        if kind not in ("team", "inbox") or not raw.isdigit():
            raise Invalid("Choose a team or an inbox.", errors=[{"field": "scope"}])
        minutes = _whole(form, "spillover_minutes")
        row = service.save_setting(
            session, viewer.actor, **{f"{kind}_id": int(raw)}, mode=form.get("mode", ""),
            spillover_seconds=minutes * 60 if minutes is not None else None,
            sticky_days=_whole(form, "sticky_days", blank=0),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        errors = field_errors(exc)
        if "spillover_seconds" in errors:
            errors["spillover_minutes"] = errors.pop("spillover_seconds")
        return _page(request, session, viewer, form, errors)
    return redirect("/admin/routing", f"Saved: {MODE_LABELS[row.mode].lower()}.")


@router.post("/admin/routing/settings/{setting_id:int}/delete")
def delete_setting(session: DB, viewer: Page, setting_id: Id):
    """Stop routing a team or an inbox."""
    service.delete_setting(session, viewer.actor, setting_id)
    return redirect("/admin/routing", "Routing stopped there; agents pull its conversations with Next best.")


@router.post("/admin/routing/skills")
async def create_skill(request: Request, session: DB, viewer: Page):
    """Declare a skill."""
    form = await _form(request)
    try:
        name = form.get("skill_name", "")
        row = service.create_skill(session, viewer.actor, name=name, kind=form.get("kind", "other"))
    except FORM_PROBLEMS as exc:
        refused(session)
        errors = {("skill_name" if k == "name" else k): v for k, v in field_errors(exc).items()}
        return _page(request, session, viewer, {"skill_name": name, "kind": form.get("kind", "")}, errors)
    return redirect("/admin/routing", f"Added the skill '{row.name}'.")


@router.post("/admin/routing/skills/{skill_id:int}/delete")
def delete_skill(session: DB, viewer: Page, skill_id: Id):
    """Remove a skill nobody holds."""
    service.delete_skill(session, viewer.actor, skill_id)
    return redirect("/admin/routing", "Skill removed.")


def _agent_page(request, session, viewer, agent_id: int, form=None, errors=None):
    row = next((a for a in service.overview(session, viewer.actor) if a["agent_id"] == agent_id), None)
    if row is None:  # routing lists active agents only: a deactivated one gets no work
        raise NotFound(f"There is no active agent {agent_id}.")
    if form is None:
        form = {"capacity": str(row["capacity"]), "calendar_id": str(row["calendar_id"] or "")}
        for ch in CHANNELS:
            form[f"weight_{ch}"] = _num(row["channel_weights"].get(ch))
            form[f"cap_{ch}"] = _num(row["channel_caps"].get(ch))
    chosen = form.get("skills_chosen", row["skills"])
    cals = [("", "Whenever they are online")] + [(str(c.id), c.name) for c in calendars.listed(session)]
    return render_form(
        request, "routing/agent.html", viewer, errors, agent=row, form=form, channels=CHANNELS, calendars=cals,
        skills=[(s.name, s.name) for s in service.skills(session, viewer.actor)], chosen=chosen,
    )  # fmt: skip


def _num(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


@router.get("/admin/routing/agents/{agent_id:int}")
def agent_page(request: Request, session: DB, viewer: Page, agent_id: Id):
    """One agent's capacity, channel weights and caps, shift hours and skills."""
    authorize(viewer.actor, "admin")
    return _agent_page(request, session, viewer, agent_id)


@router.post("/admin/routing/agents/{agent_id:int}")
async def save_agent(request: Request, session: DB, viewer: Page, agent_id: Id):
    """Save an agent's routing; a wrong value is shown beside its field and nothing is saved."""
    data = await request.form()
    form = {k: str(v) for k, v in data.items() if k not in ("csrf_token", "skills")}
    chosen = [str(v) for v in data.getlist("skills")][:200]
    form["skills_chosen"] = chosen
    try:
        weights, caps = {}, {}
        for ch in CHANNELS:
            weight = form.get(f"weight_{ch}", "").strip()
            if weight:
                try:
                    weights[ch] = float(weight)
                except ValueError:
                    raise Invalid(f"The {ch} weight must be a number.", errors=[{"field": "channel_weights"}]) from None
            cap = _whole(form, f"cap_{ch}")
            if cap is not None:
                caps[ch] = cap
        calendar = _whole(form, "calendar_id")
        service.configure_agent(
            session, viewer.actor, agent_id, capacity=_whole(form, "capacity", blank=0), channel_weights=weights,
            channel_caps=caps, calendar_id=calendar, skills=chosen,
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _agent_page(request, session, viewer, agent_id, form, field_errors(exc))
    return redirect("/admin/routing", "Saved the agent's routing.")
