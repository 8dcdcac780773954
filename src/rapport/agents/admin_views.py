"""Admin pages for agents and teams: add an agent (with a password or a sign-in link), change a role, deactivate;
create and rename teams and choose their members. The service (agents/service.py) decides; admin.py reads."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.agents import admin, invite, service
from rapport.agents.schemas import AgentIn, AgentPatch, TeamIn, TeamPatch
from rapport.agents.signin import LockedOut, WrongPassword
from rapport.config import get_settings
from rapport.kit.schema import Id
from rapport.web.deps import DB, client_address
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, Viewer, WorkspaceRoute, redirect, render, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
HINTS = {"email": "Enter an email address such as alex@example.com."}


async def _form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    data = await request.form()
    single = {k: str(v) for k, v in data.items() if k != "csrf_token"}
    return single, {k: [str(v) for v in data.getlist(k)] for k in ("team_ids", "agent_ids")}


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


# Agents


@router.get("/admin/agents")
def agent_list(request: Request, session: DB, viewer: Page):
    """Every agent with their role, teams and status."""
    return render(request, "agents/admin_agents.html", viewer, directory=admin.directory(session, viewer.actor))


@router.get("/admin/agents/new")
def new_agent(request: Request, session: DB, viewer: Page):
    """The form for a new agent."""
    form = {"name": "", "email": "", "role": "agent", "team_ids": [], "sign_in": "link"}
    return _agent_page(request, session, viewer, None, form)


@router.post("/admin/agents")
async def create_agent(request: Request, session: DB, viewer: Page):
    """Add an agent with a password, or send them a sign-in link; a wrong value is shown next to its field."""
    form, lists = await _form(request)
    admin.directory(session, viewer.actor)  # admins only, before anything is read from the form
    by_link = form.get("sign_in") != "password"
    try:
        body = AgentIn.model_validate(
            {
                "name": form.get("name", ""),
                "email": form.get("email", ""),
                "role": form.get("role", ""),
                "team_ids": _ids(lists["team_ids"]),
                "password": None if by_link else form.get("password", ""),
            }
        )
        agent = service.create_agent(session, viewer.actor, **body.model_dump())
        if by_link:
            invite.send(session, viewer.actor, agent.id)
    except FORM_PROBLEMS as exc:
        refused(session)
        shown = {**form, "team_ids": lists["team_ids"]}
        return _agent_page(request, session, viewer, None, shown, field_errors(exc, HINTS))
    done = f"a sign-in link is on its way to {agent.email}" if by_link else "they can sign in with the password"
    return redirect(f"/admin/agents/{agent.id}", f"Added {agent.name}: {done}.")


@router.get("/admin/agents/{agent_id}")
def edit_agent(request: Request, session: DB, viewer: Page, agent_id: Id):
    """One agent: name, role, teams, sign-in and access."""
    agent, team_ids = admin.agent(session, viewer.actor, agent_id)
    form = {"name": agent.name, "role": agent.role, "team_ids": [str(t) for t in team_ids]}
    return _agent_page(request, session, viewer, agent, form)


@router.post("/admin/agents/{agent_id}")
async def save_agent(request: Request, session: DB, viewer: Page, agent_id: Id):
    """Change an agent's name, role and teams."""
    form, lists = await _form(request)
    agent, _ = admin.agent(session, viewer.actor, agent_id)
    own = agent.id == viewer.id  # the role select is disabled on one's own page, so the browser sends none
    try:
        body = AgentPatch.model_validate(
            {
                "name": form.get("name", ""),
                "role": agent.role if own else form.get("role", ""),
                "team_ids": _ids(lists["team_ids"]),
            }
        )
        data = body.model_dump(exclude_unset=True)
        changed = service.update_agent(session, viewer.actor, agent_id, team_ids=data.pop("team_ids"), **data)
    except FORM_PROBLEMS as exc:
        refused(session)
        agent, _ = admin.agent(session, viewer.actor, agent_id)
        shown = {**form, "role": form.get("role", agent.role), "team_ids": lists["team_ids"]}
        return _agent_page(request, session, viewer, agent, shown, field_errors(exc))
    return redirect(f"/admin/agents/{agent_id}", f"Saved {changed.name}.")


@router.post("/admin/agents/{agent_id}/password")
async def set_password(request: Request, session: DB, viewer: Page, agent_id: Id):
    """Give an agent a new password (your own needs your current one); it ends their other sessions."""
    form, _ = await _form(request)
    agent, team_ids = admin.agent(session, viewer.actor, agent_id)
    try:
        AgentPatch.model_validate({"password": form.get("password", "")})
        service.update_agent(
            session,
            viewer.actor,
            agent_id,
            password=form.get("password", ""),
            current_password=form.get("current_password") or None,
            keep_session_id=viewer.session_id,
            client=client_address(request),
        )
    except FORM_PROBLEMS + (LockedOut,) as exc:
        if not isinstance(exc, (WrongPassword, LockedOut)):  # a wrong current password is kept: it counts
            refused(session)
        agent, team_ids = admin.agent(session, viewer.actor, agent_id)
        shown = {"name": agent.name, "role": agent.role, "team_ids": [str(t) for t in team_ids]}
        return _agent_page(request, session, viewer, agent, shown, field_errors(exc))
    done = f"Set a new password for {agent.name}; their other sessions ended."
    tokens = admin.live_tokens(session, viewer.actor, agent_id)
    if tokens:
        done += f" Their {len(tokens)} API token(s) still work: revoke any you do not trust under API tokens."
    return redirect(f"/admin/agents/{agent_id}", done)


@router.post("/admin/agents/{agent_id}/invite")
def send_link(session: DB, viewer: Page, agent_id: Id):
    """Mail an agent a sign-in link."""
    agent = invite.send(session, viewer.actor, agent_id)
    return redirect(f"/admin/agents/{agent_id}", f"A sign-in link is on its way to {agent.email}.")


@router.get("/admin/agents/{agent_id}/deactivate")
def confirm_deactivate(request: Request, session: DB, viewer: Page, agent_id: Id):
    """Ask before deactivating an agent."""
    agent, _ = admin.agent(session, viewer.actor, agent_id)
    return render(
        request,
        "agents/admin_confirm.html",
        viewer,
        title=f"Deactivate {agent.name}?",
        question=f"{agent.name} ({agent.email}) will be signed out everywhere and their API tokens stop working. "
        "Their conversations and history stay, and you can reactivate them later.",
        action=f"/admin/agents/{agent_id}/deactivate",
        confirm="Deactivate",
        back=f"/admin/agents/{agent_id}",
    )


@router.post("/admin/agents/{agent_id}/deactivate")
def deactivate(session: DB, viewer: Page, agent_id: Id):
    """Deactivate an agent (never oneself)."""
    agent = service.update_agent(session, viewer.actor, agent_id, active=False)
    return redirect(f"/admin/agents/{agent_id}", f"Deactivated {agent.name}.")


@router.post("/admin/agents/{agent_id}/activate")
def activate(session: DB, viewer: Page, agent_id: Id):
    """Reactivate an agent."""
    agent = service.update_agent(session, viewer.actor, agent_id, active=True)
    return redirect(f"/admin/agents/{agent_id}", f"Reactivated {agent.name}.")


def _agent_page(request: Request, session, viewer: Viewer, agent, form: dict, errors: dict | None = None):
    teams = [(str(t.id), t.name) for t in admin.directory(session, viewer.actor).teams]
    return render_form(
        request,
        "agents/admin_agent.html",
        viewer,
        agent=agent,
        form=form,
        roles=[(r, r.capitalize()) for r in admin.ROLES],
        teams=teams,
        invite_hours=get_settings().agent_invite_hours,
        tokens=admin.live_tokens(session, viewer.actor, agent.id) if agent else [],
        errors=errors,
    )


# Teams


@router.get("/admin/teams")
def team_list(request: Request, session: DB, viewer: Page):
    """Every team with its members, and the form for a new one."""
    return _teams_page(request, session, viewer, {"name": "", "description": ""})


@router.post("/admin/teams")
async def create_team(request: Request, session: DB, viewer: Page):
    """Create a team."""
    form, _ = await _form(request)
    admin.directory(session, viewer.actor)
    try:
        body = TeamIn.model_validate({"name": form.get("name", ""), "description": form.get("description", "")})
        team = service.create_team(session, viewer.actor, **body.model_dump())
    except FORM_PROBLEMS as exc:
        refused(session)
        return _teams_page(request, session, viewer, form, field_errors(exc))
    return redirect(f"/admin/teams/{team.id}", f"Created the team '{team.name}'. Now choose its members.")


@router.get("/admin/teams/{team_id}")
def edit_team(request: Request, session: DB, viewer: Page, team_id: Id):
    """One team: its name, description and members."""
    team, members = admin.team(session, viewer.actor, team_id)
    form = {"name": team.name, "description": team.description, "agent_ids": [str(m) for m in members]}
    return _team_page(request, session, viewer, team, form)


@router.post("/admin/teams/{team_id}")
async def save_team(request: Request, session: DB, viewer: Page, team_id: Id):
    """Rename or describe a team and set its members."""
    form, lists = await _form(request)
    admin.team(session, viewer.actor, team_id)
    try:
        body = TeamPatch.model_validate({"name": form.get("name", ""), "description": form.get("description", "")})
        team = service.update_team(session, viewer.actor, team_id, **body.model_dump())
        service.set_team_members(session, viewer.actor, team_id, _ids(lists["agent_ids"]))
    except FORM_PROBLEMS as exc:
        refused(session)
        team, _ = admin.team(session, viewer.actor, team_id)
        return _team_page(request, session, viewer, team, {**form, **lists}, field_errors(exc))
    return redirect(f"/admin/teams/{team_id}", f"Saved the team '{team.name}'.")


def _teams_page(request: Request, session, viewer: Viewer, form: dict, errors: dict | None = None):
    return render_form(
        request,
        "agents/admin_teams.html",
        viewer,
        directory=admin.directory(session, viewer.actor),
        form=form,
        errors=errors,
    )


def _team_page(request: Request, session, viewer: Viewer, team, form: dict, errors: dict | None = None):
    agents = [
        (str(a.id), a.name if a.active else f"{a.name} (deactivated)")
        for a in admin.directory(session, viewer.actor).agents
    ]
    return render_form(
        request,
        "agents/admin_team.html",
        viewer,
        team=team,
        form=form,
        agents=agents,
        errors=errors,
    )
