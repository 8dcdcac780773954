"""REST routes for routing: settings per team and inbox, the skill vocabulary, agents' capacity and skills, a
conversation's skill needs, and "next best" (an agent pulls the best waiting conversation)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from rapport.kit.schema import Id
from rapport.routing import assign, service
from rapport.routing.schemas import (
    AgentRoutingIn,
    AgentRoutingOut,
    NeedsIn,
    NeedsOut,
    PulledOut,
    SettingIn,
    SettingOut,
    SkillIn,
    SkillOut,
)
from rapport.web.deps import DB, Me, requires

router = APIRouter(prefix="/routing", tags=["routing"])


@router.get("/settings", dependencies=[requires("read")], response_model=list[SettingOut])
def list_settings(session: DB, actor: Me):
    """Every team's and inbox's routing setting."""
    return service.settings(session, actor)


@router.put("/settings", dependencies=[requires("admin")], response_model=SettingOut)
def save_setting(body: SettingIn, session: DB, actor: Me):
    """Create or replace the routing setting of one team or one inbox (admins)."""
    return service.save_setting(session, actor, **body.model_dump())


@router.delete("/settings/{setting_id:int}", dependencies=[requires("admin")], status_code=204)
def delete_setting(setting_id: Id, session: DB, actor: Me):
    """Stop routing a team or an inbox (admins); its conversations wait for agents to pull them."""
    service.delete_setting(session, actor, setting_id)
    return Response(status_code=204)


@router.get("/skills", dependencies=[requires("read")], response_model=list[SkillOut])
def list_skills(session: DB, actor: Me):
    """Every declared skill."""
    return service.skills(session, actor)


@router.post("/skills", dependencies=[requires("admin")], response_model=SkillOut, status_code=201)
def create_skill(body: SkillIn, session: DB, actor: Me):
    """Declare a skill (admins)."""
    return service.create_skill(session, actor, name=body.name, kind=body.kind)


@router.delete("/skills/{skill_id:int}", dependencies=[requires("admin")], status_code=204)
def delete_skill(skill_id: Id, session: DB, actor: Me):
    """Remove a skill no active agent holds (admins)."""
    service.delete_skill(session, actor, skill_id)
    return Response(status_code=204)


@router.get("/agents", dependencies=[requires("read")], response_model=list[AgentRoutingOut])
def list_agents(session: DB, actor: Me):
    """Every active agent as routing sees them, with their load now."""
    return service.overview(session, actor)


@router.put("/agents/{agent_id:int}", dependencies=[requires("admin")], response_model=AgentRoutingOut)
def configure_agent(agent_id: Id, body: AgentRoutingIn, session: DB, actor: Me):
    """Set an agent's capacity, channel weights and caps, shift calendar and skills (admins)."""
    return service.configure_agent(session, actor, agent_id, **body.model_dump())


@router.put("/conversations/{conversation_id:int}/skills", dependencies=[requires("write")], response_model=NeedsOut)
def set_needs(conversation_id: Id, body: NeedsIn, session: DB, actor: Me):
    """Set the skills a conversation requires and prefers of its agent."""
    return service.set_needs(session, actor, conversation_id, required=body.required, preferred=body.preferred)


@router.post("/next", dependencies=[requires("write")], response_model=PulledOut)
def next_best(session: DB, actor: Me):
    """Take the best waiting conversation you may (asked for a person, nearest breach, priority, age); null: none."""
    conv = assign.next_best(session, actor)
    return PulledOut(conversation_id=conv.id if conv else None)
