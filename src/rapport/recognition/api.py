"""REST routes for recognition: kudos (an agent's own, a team's feed, the wall for supervisors) and follow-ups (list,
complete with a reason code and outcome)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from rapport.kit.clock import now
from rapport.kit.schema import Id
from rapport.recognition import followups, kudos
from rapport.recognition.schemas import Completion, FollowUpOut, Kind, KudosOut, State
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["recognition"])


@router.get("/kudos", dependencies=[requires("read")], response_model=list[KudosOut])
def list_kudos(
    session: DB,
    actor: Me,
    agent_id: Id | None = None,
    team_id: Id | None = None,
    days: Annotated[int, Field(ge=1, le=3660)] | None = None,
    before: Id | None = None,
):
    """Kudos newest first: an agent's (`agent_id`), a team's (`team_id`), or all of them (supervisors)."""
    since = now() - timedelta(days=days) if days else None
    rows = kudos.listed(session, actor, agent_id=agent_id, team_id=team_id, since=since, before=before)
    return [KudosOut.model_validate(line.kudos) for line in rows]


@router.get("/followups", dependencies=[requires("read")], response_model=list[FollowUpOut])
def list_followups(
    session: DB,
    actor: Me,
    state: State = "open",
    kind: Kind | None = None,
    team_id: Id | None = None,
    mine: bool = False,
):
    """Follow-ups by due time: an agent's own and their teams', every one for supervisors."""
    rows = followups.listed(
        session, actor, state=None if state == "all" else state, kind=kind, team_id=team_id, mine=mine
    )
    return [FollowUpOut.model_validate(r) for r in rows]


@router.get("/followups/{followup_id:int}", dependencies=[requires("read")], response_model=FollowUpOut)
def get_followup(followup_id: Id, session: DB, actor: Me):
    """One follow-up."""
    return FollowUpOut.model_validate(followups.get(session, actor, followup_id))


@router.post("/followups/{followup_id:int}/complete", dependencies=[requires("write")], response_model=FollowUpOut)
def complete_followup(followup_id: Id, body: Completion, session: DB, actor: Me):
    """Close an open follow-up with its reason code (recovery) and outcome (its owner, its team, supervisors)."""
    row = followups.complete(session, actor, followup_id, reason_code=body.reason_code, outcome=body.outcome)
    return FollowUpOut.model_validate(row)
