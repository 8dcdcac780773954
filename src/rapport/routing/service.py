"""Routing's configuration, checked then done: settings per team and inbox, agents' capacity, shift hours and skills,
the skill vocabulary, and the skills a conversation requires or prefers."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.agents import service as agents
from rapport.calendars import service as calendars
from rapport.config import get_settings
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import (
    Agent,
    AgentRouting,
    Conversation,
    ConversationRouting,
    Inbox,
    RoutingSetting,
    RoutingSkill,
    Team,
)
from rapport.models.enums import Channel
from rapport.routing import repository
from rapport.routing.assign import DEFAULT_CAPACITY
from rapport.routing.decide import MODES

SKILL_KINDS = ("language", "product", "other")
SKILL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_WEIGHT = 100.0


def _invalid(message: str, field: str) -> Invalid:
    return Invalid(message, errors=[{"field": field, "message": message}])


# --- settings per team and inbox -------------------------------------------------------------------------------


def settings(session: Session, actor: Actor) -> list[RoutingSetting]:
    """Every routing setting, teams first then inboxes."""
    authorize(actor, "directory.read")
    rows = session.scalars(select(RoutingSetting).order_by(RoutingSetting.team_id, RoutingSetting.inbox_id))
    return list(rows)


def get_setting(session: Session, setting_id: int) -> RoutingSetting:
    """One routing setting, or NotFound."""
    row = session.get(RoutingSetting, setting_id)
    if row is None:
        raise NotFound(f"There is no routing setting {setting_id}.")
    return row


def save_setting(
    session: Session,
    actor: Actor,
    *,
    team_id: int | None = None,
    inbox_id: int | None = None,
    mode: str,
    spillover_seconds: int | None = None,
    sticky_days: int = 0,
) -> RoutingSetting:
    """Create or replace the routing setting of one team or one inbox (admins)."""
    authorize(actor, "admin")
    if (team_id is None) == (inbox_id is None):
        raise _invalid("Name exactly one of team_id or inbox_id.", "team_id")
    if team_id is not None and session.get(Team, team_id) is None:
        raise NotFound(f"There is no team {team_id}.", field="team_id")
    if inbox_id is not None and session.get(Inbox, inbox_id) is None:
        raise NotFound(f"There is no inbox {inbox_id}.", field="inbox_id")
    _check_setting(mode, spillover_seconds, sticky_days)
    column = RoutingSetting.team_id if team_id is not None else RoutingSetting.inbox_id
    row = session.scalar(select(RoutingSetting).where(column == (team_id if team_id is not None else inbox_id)))
    stamp = now()
    fields = {"mode": mode, "spillover_seconds": spillover_seconds, "sticky_days": sticky_days}
    if row is None:
        row = RoutingSetting(team_id=team_id, inbox_id=inbox_id, created_at=stamp, cursor_agent_id=None, **fields)
        session.add(row)
    else:
        for key, value in fields.items():
            setattr(row, key, value)
    row.updated_at = stamp
    session.flush()
    scope = {"team_id": team_id} if team_id is not None else {"inbox_id": inbox_id}
    record(session, "routing.updated", actor, object="routing_setting", object_id=row.id, fields={**scope, **fields})
    return row


def _check_setting(mode: str, spillover_seconds: int | None, sticky_days: int) -> None:
    limits = get_settings()
    if mode not in MODES:
        raise _invalid(f"mode must be one of {', '.join(MODES)}.", "mode")
    if spillover_seconds is not None and not 60 <= spillover_seconds <= limits.routing_spillover_max_seconds:
        raise _invalid(
            f"spillover_seconds must be between 60 and {limits.routing_spillover_max_seconds} "
            "(RAPPORT_ROUTING_SPILLOVER_MAX_SECONDS), or empty for no spillover.",
            "spillover_seconds",
        )
    if not 0 <= sticky_days <= limits.routing_sticky_max_days:
        raise _invalid(
            f"sticky_days must be between 0 and {limits.routing_sticky_max_days} (RAPPORT_ROUTING_STICKY_MAX_DAYS).",
            "sticky_days",
        )


def delete_setting(session: Session, actor: Actor, setting_id: int) -> None:
    """Stop routing a team or an inbox (admins): its conversations wait for agents to take them."""
    authorize(actor, "admin")
    row = get_setting(session, setting_id)
    scope = {"team_id": row.team_id} if row.team_id is not None else {"inbox_id": row.inbox_id}
    session.delete(row)
    record(session, "routing.updated", actor, object="routing_setting", object_id=setting_id,
           fields={**scope, "deleted": True})  # fmt: skip


# --- agents: capacity, shift hours, skills --------------------------------------------------------------------


def agent_routing(session: Session, agent_id: int) -> AgentRouting:
    """An agent's routing row, or the defaults (not stored) when none was set."""
    row = session.get(AgentRouting, agent_id)
    if row is None:
        return AgentRouting(agent_id=agent_id, capacity=DEFAULT_CAPACITY, channel_weights={}, channel_caps={})
    return row


def _routable_agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"There is no agent {agent_id}.", field="agent_id")
    if not agent.active:
        raise Conflict(f"Agent {agent_id} is deactivated; routing never gives them work.", field="agent_id")
    return agent


def set_capacity(
    session: Session,
    actor: Actor,
    agent_id: int,
    *,
    capacity: int,
    channel_weights: dict[str, float] | None = None,
    channel_caps: dict[str, int] | None = None,
    calendar_id: int | None = None,
) -> AgentRouting:
    """Set an agent's capacity, per-channel weights and caps, and shift calendar (admins)."""
    authorize(actor, "admin")
    _routable_agent(session, agent_id)
    weights, caps = _check_capacity(capacity, channel_weights or {}, channel_caps or {})
    if calendar_id is not None:
        calendars.get(session, calendar_id)
    row = session.get(AgentRouting, agent_id)
    if row is None:
        row = AgentRouting(agent_id=agent_id)
        session.add(row)
    row.capacity, row.channel_weights, row.channel_caps, row.calendar_id = capacity, weights, caps, calendar_id
    row.updated_at = now()
    session.flush()
    fields = {"capacity": capacity, "channel_weights": weights, "channel_caps": caps, "calendar_id": calendar_id}
    record(session, "routing.updated", actor, object="agent_capacity", object_id=agent_id, fields=fields)
    return row


def _check_capacity(capacity: int, weights: dict, caps: dict) -> tuple[dict, dict]:
    top = get_settings().routing_capacity_max
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= top:
        raise _invalid(
            f"capacity must be a whole number from 1 to {top} (RAPPORT_ROUTING_CAPACITY_MAX); "
            "0 would never route anything to this agent — set them away instead.",
            "capacity",
        )
    channels = {c.value for c in Channel}
    for name, table in (("channel_weights", weights), ("channel_caps", caps)):
        unknown = sorted(set(table) - channels)
        if unknown:
            raise _invalid(f"{name} names unknown channels: {', '.join(unknown)}.", name)
    for channel, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= MAX_WEIGHT:
            raise _invalid(f"channel_weights.{channel} must be a number above 0 and at most {MAX_WEIGHT:g}.",
                           "channel_weights")  # fmt: skip
    for channel, cap in caps.items():
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= top:
            raise _invalid(f"channel_caps.{channel} must be a whole number from 1 to {top}.", "channel_caps")
    return {k: float(v) for k, v in weights.items()}, {k: int(v) for k, v in caps.items()}


def set_agent_skills(session: Session, actor: Actor, agent_id: int, skills: list[str]) -> Agent:
    """Give an agent exactly these skills (admins); every one must be a declared skill."""
    authorize(actor, "admin")
    _routable_agent(session, agent_id)
    checked = check_skills(session, skills, "skills")
    return agents.update_agent(session, actor, agent_id, skills=checked)


def check_skills(session: Session, skills: list[str], field: str) -> list[str]:
    """The skills, deduplicated in order, when each is declared and there are not too many; else Invalid."""
    top = get_settings().routing_skills_max
    wanted = list(dict.fromkeys(s.strip().lower() for s in skills if s and s.strip()))
    if len(wanted) > top:
        raise _invalid(f"{field} lists {len(wanted)} skills; at most {top} (RAPPORT_ROUTING_SKILLS_MAX).", field)
    unknown = [s for s in wanted if s not in repository.skill_names(session)]
    if unknown:
        raise _invalid(f"{field} names unknown skills: {', '.join(unknown)}; declare them first.", field)
    return wanted


# --- the skill vocabulary -------------------------------------------------------------------------------------


def skills(session: Session, actor: Actor) -> list[RoutingSkill]:
    """Every declared skill by name."""
    authorize(actor, "directory.read")
    return list(session.scalars(select(RoutingSkill).order_by(RoutingSkill.name)))


def create_skill(session: Session, actor: Actor, *, name: str, kind: str = "other") -> RoutingSkill:
    """Declare a skill (admins): lower-case letters, digits, '.', '_' or '-', up to 64."""
    authorize(actor, "admin")
    name = (name or "").strip().lower()
    if not SKILL_NAME.match(name):
        raise _invalid("name must be 1-64 lower-case letters, digits, '.', '_' or '-' (such as 'de' or 'billing').",
                       "name")  # fmt: skip
    if kind not in SKILL_KINDS:
        raise _invalid(f"kind must be one of {', '.join(SKILL_KINDS)}.", "kind")
    if session.scalar(select(RoutingSkill.id).where(RoutingSkill.name == name)) is not None:
        raise Conflict(f"A skill named '{name}' exists already.", field="name")
    row = RoutingSkill(name=name, kind=kind, created_at=now())
    session.add(row)
    session.flush()
    record(session, "routing.updated", actor, object="skill", object_id=row.id, fields={"name": name, "kind": kind})
    return row


def delete_skill(session: Session, actor: Actor, skill_id: int) -> None:
    """Remove a skill nobody holds and no conversation needs (admins)."""
    authorize(actor, "admin")
    row = session.get(RoutingSkill, skill_id)
    if row is None:
        raise NotFound(f"There is no skill {skill_id}.")
    held = [
        a.name for a in session.scalars(select(Agent).where(Agent.active.is_(True))) if row.name in (a.skills or [])
    ]
    if held:
        raise Conflict(f"Skill '{row.name}' is held by {', '.join(held[:5])}; take it from them first.")
    session.delete(row)
    record(session, "routing.updated", actor, object="skill", object_id=skill_id, fields={"deleted": row.name})


# --- a conversation's needs -----------------------------------------------------------------------------------


def set_needs(
    session: Session, actor: Actor, conversation_id: int, *, required: list[str], preferred: list[str]
) -> ConversationRouting:
    """Set the skills a conversation requires and prefers; routing takes them into account from now on."""
    authorize(actor, "conversations.write")
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    req = check_skills(session, required, "required")
    pref = [s for s in check_skills(session, preferred, "preferred") if s not in req]
    row = session.get(ConversationRouting, conversation_id)
    stamp: datetime = now()
    if row is None:
        row = ConversationRouting(conversation_id=conversation_id, widened_at=None)
        session.add(row)
    row.required_skills, row.preferred_skills, row.updated_at = req, pref, stamp
    session.flush()
    record(session, "conversation.skills_changed", actor, conversation_id=conversation_id,
           customer_id=conv.customer_id, required=req, preferred=pref)  # fmt: skip
    return row


# --- agents as routing sees them ------------------------------------------------------------------------------


def overview(session: Session, actor: Actor) -> list[dict]:
    """Every active agent with availability, skills, capacity, weights, caps, shift calendar and load now."""
    authorize(actor, "directory.read")
    rows = repository.agents(session, None)
    load = repository.loads(session, [a.id for a in rows])
    return [
        {
            "agent_id": agent.id,
            "name": agent.name,
            "availability": agent.availability,
            "active": agent.active,
            "skills": list(agent.skills or []),
            "capacity": agent.capacity or DEFAULT_CAPACITY,
            "channel_weights": agent.channel_weights or {},
            "channel_caps": agent.channel_caps or {},
            "calendar_id": agent.calendar_id,
            "load": load.get(agent.id, {}),
        }
        for agent in rows
    ]


def configure_agent(
    session: Session,
    actor: Actor,
    agent_id: int,
    *,
    capacity: int,
    channel_weights: dict | None = None,
    channel_caps: dict | None = None,
    calendar_id: int | None = None,
    skills: list[str] | None = None,
) -> dict:
    """Set an agent's capacity, weights, caps, shift calendar and (when given) skills, all checked first (admins)."""
    authorize(actor, "admin")
    _routable_agent(session, agent_id)
    _check_capacity(capacity, channel_weights or {}, channel_caps or {})
    if skills is not None:
        skills = check_skills(session, skills, "skills")
    set_capacity(session, actor, agent_id, capacity=capacity, channel_weights=channel_weights,
                 channel_caps=channel_caps, calendar_id=calendar_id)  # fmt: skip
    if skills is not None:
        set_agent_skills(session, actor, agent_id, skills)
    session.flush()
    return next(row for row in overview(session, actor) if row["agent_id"] == agent_id)
