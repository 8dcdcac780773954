"""Workspace pages of recognition: an agent's kudos and their teams' feeds, the kudos wall (supervisors), and the
follow-ups with the form that completes one."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import select

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Forbidden, Invalid, NotFound
from rapport.kit.schema import Id, Int
from rapport.models import Agent, Team
from rapport.recognition import followups, kudos
from rapport.recognition.classify import SIGNAL_LABELS
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, redirect, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 365: "Last year"}


def _teams(session) -> dict[int, str]:
    return dict(session.execute(select(Team.id, Team.name).order_by(Team.name)).all())


@router.get("/kudos")
def wall(request: Request, session: DB, viewer: Page, team: Id | None = None, days: Int = 30):
    """The kudos wall (supervisors): recent kudos, by team and period; an agent gets their own kudos page."""
    days = days if days in PERIODS else 30
    if not viewer.actor.can("supervisor.console"):
        return mine(request, session, viewer)
    lines = kudos.listed(session, viewer.actor, team_id=team, since=now() - timedelta(days=days))
    return render(request, "recognition/wall.html", viewer, lines=lines, teams=_teams(session), team=team,
                  days=days, periods=PERIODS)  # fmt: skip


@router.get("/kudos/mine")
def mine(request: Request, session: DB, viewer: Page):
    """The agent's own kudos and their teams' feeds."""
    own = kudos.listed(session, viewer.actor, agent_id=viewer.id)
    names = _teams(session)
    feeds = [
        (names.get(t, "Team"), kudos.listed(session, viewer.actor, team_id=t)) for t in sorted(viewer.actor.team_ids)
    ]
    return render(request, "recognition/mine.html", viewer, own=own, feeds=feeds, agent_name=viewer.actor.name)


@router.get("/kudos/agents/{agent_id}")
def agent_kudos(request: Request, session: DB, viewer: Page, agent_id: Id):
    """One agent's kudos (their own page, or any agent's for supervisors)."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"There is no agent {agent_id}.")
    lines = kudos.listed(session, viewer.actor, agent_id=agent_id)
    return render(request, "recognition/mine.html", viewer, own=lines, feeds=[], agent_name=agent.name)


def _followups_page(request, session, viewer, *, status: int = 200, errors: dict | None = None, failed: int = 0):
    rows = followups.listed(session, viewer.actor, state=followups.OPEN)
    done = followups.listed(session, viewer.actor, state=followups.DONE, limit=20)
    agents = dict(session.execute(select(Agent.id, Agent.name)).all())
    return render(
        request, "recognition/followups.html", viewer, status=status, rows=rows, done=done, agents=agents,
        teams=_teams(session), reasons=get_settings().followup_reason_codes, signals=SIGNAL_LABELS, at=now(),
        errors=errors or {}, failed=failed, may=lambda row: followups.may_complete(viewer.actor, row),
    )  # fmt: skip


@router.get("/followups")
def followup_list(request: Request, session: DB, viewer: Page):
    """Open follow-ups by due time (the agent's own and their teams'; every one for supervisors), and recent done."""
    return _followups_page(request, session, viewer)


@router.post("/followups/{followup_id}/complete")
def complete(
    request: Request,
    session: DB,
    viewer: Page,
    followup_id: Id,
    reason_code: Annotated[str, Form(max_length=64)] = "",
    outcome: Annotated[str, Form(max_length=20_000)] = "",
):
    """Complete a follow-up from its form; a refusal is shown beside the form."""
    try:
        followups.complete(session, viewer.actor, followup_id, reason_code=reason_code, outcome=outcome)
    except (Invalid, Conflict, Forbidden) as problem:
        field = (problem.extra.get("errors") or [{}])[0].get("field", "form")
        return _followups_page(request, session, viewer, status=problem.status, errors={field: problem.detail},
                               failed=followup_id)  # fmt: skip
    return redirect("/followups", f"Follow-up {followup_id} completed.")
