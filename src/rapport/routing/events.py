"""The events of routing: a conversation routed to an agent (with why), work released back to the queue, the pool
widened after the spillover timer, and admins' changes to routing settings, capacities and skills."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Payload, declare
from rapport.events.wording import Context, admin, listed


class Routed(Payload):
    """Routing gave the conversation to `agent_id`: the queue, the mode, the skills matched, the agent's load before
    it and capacity, and the agent's rank among `considered` candidates (`sticky`: the customer's previous agent;
    `pulled`: the agent took it with "next best")."""

    agent_id: int
    agent_name: str = ""
    queue: str
    mode: str
    outcome: str = "assigned"
    skills: list[str] = []
    missing: list[str] = []
    load: float = 0
    capacity: int = 0
    rank: int = 0
    considered: int = 0
    sticky: bool = False
    pulled: bool = False


class Released(Payload):
    """The agent's unstarted conversation went back to the queue (`reason`: away, offline, deactivated)."""

    agent_id: int
    agent_name: str = ""
    reason: str


class Widened(Payload):
    """No agent with the required skills took the conversation within the spillover time: any agent may now."""

    skills: list[str] = []
    after_seconds: int


class SkillsChanged(Payload):
    """The skills the conversation requires and prefers of its agent changed."""

    required: list[str] = []
    preferred: list[str] = []


def _skills(who: str, p: dict, c: Context) -> str:
    req, pref = p.get("required") or [], p.get("preferred") or []
    if not req and not pref:
        return f"{who} cleared the skills it needs"
    parts = ([f"requires {listed(req)}"] if req else []) + ([f"prefers {listed(pref)}"] if pref else [])
    return f"{who} said it {' and '.join(parts)}"


def _load(p: dict) -> str:
    load = p.get("load") or 0
    return f"{int(load) if float(load).is_integer() else load}/{p.get('capacity')}"


def _routed(who: str, p: dict, c: Context) -> str:
    name = p.get("agent_name") or c.names.get(p.get("agent_id"), "an agent")
    if p.get("pulled"):
        return f"Next best gave it to {name} from queue {p.get('queue')} (it was first in the queue)"
    parts = [f"queue {p.get('queue')}", p.get("mode", "").replace("_", " ")]
    if p.get("sticky"):
        parts.append("the customer's previous agent")
    if p.get("skills"):
        parts.append(f"skills {listed(p['skills'])}")
    parts.append(f"load {_load(p)} before it")
    parts.append(f"rank {p.get('rank')} of {p.get('considered')}")
    return f"{who} routed it to {name} ({'; '.join(parts)})"


def _released(who: str, p: dict, c: Context) -> str:
    name = p.get("agent_name") or c.names.get(p.get("agent_id"), "an agent")
    reasons = {"away": "went away", "offline": "went offline", "deactivated": "was deactivated"}
    went = reasons.get(p.get("reason"), "left")
    return f"{who} returned it to the queue: {name} {went} before starting it"


def _widened(who: str, p: dict, c: Context) -> str:
    minutes = max(1, round((p.get("after_seconds") or 0) / 60))
    skills = listed(p.get("skills") or []) or "the skills"
    return f"{who} opened it to every agent: no one with {skills} took it in {minutes} min"


ROUTED = declare("conversation.routed", Routed, _routed)
RELEASED = declare("conversation.released", Released, _released)
WIDENED = declare("conversation.widened", Widened, _widened)
SKILLS_CHANGED = declare("conversation.skills_changed", SkillsChanged, _skills)
SETTING_UPDATED = declare("routing.updated", AdminChange, admin("changed"))
