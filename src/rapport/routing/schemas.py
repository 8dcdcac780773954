"""Routing in and out of the API. Bounds that are settings (capacity, skills per list, spillover, stickiness) are
checked by the service, which names the setting; the schema bounds sizes so a request can never be huge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from rapport.kit.schema import Id, In, Out

Mode = Literal["balanced", "round_robin", "manual"]
Skill = Annotated[str, Field(min_length=1, max_length=64)]
Skills = Annotated[list[Skill], Field(max_length=200)]
ChannelName = Annotated[str, Field(min_length=1, max_length=16)]
Count = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


class SettingIn(In):
    """How one team's or one inbox's conversations reach agents (name exactly one of team_id and inbox_id)."""

    team_id: Id | None = None
    inbox_id: Id | None = None
    mode: Mode
    spillover_seconds: Count | None = None
    sticky_days: Count = 0


class SettingOut(Out):
    """A routing setting."""

    id: int
    team_id: int | None
    inbox_id: int | None
    mode: str
    spillover_seconds: int | None
    sticky_days: int
    updated_at: datetime


class SkillIn(In):
    """A skill to declare: a language, a product or anything else."""

    name: Skill
    kind: Literal["language", "product", "other"] = "other"


class SkillOut(Out):
    """A declared skill."""

    id: int
    name: str
    kind: str


class AgentRoutingIn(In):
    """An agent's capacity (weighted conversations at once), channel weights and caps, shift calendar, skills."""

    capacity: Count
    channel_weights: Annotated[dict[ChannelName, float], Field(max_length=16)] = {}
    channel_caps: Annotated[dict[ChannelName, Count], Field(max_length=16)] = {}
    calendar_id: Id | None = None
    skills: Skills | None = None  # None: keep the agent's skills


class AgentRoutingOut(Out):
    """An agent as routing sees them: availability, skills, capacity, weights, caps, shift calendar, load now."""

    agent_id: int
    name: str
    availability: str
    active: bool
    skills: list[str]
    capacity: int
    channel_weights: dict[str, float]
    channel_caps: dict[str, int]
    calendar_id: int | None
    load: dict[str, int]


class NeedsIn(In):
    """The skills a conversation requires of its agent and those it prefers."""

    required: Skills = []
    preferred: Skills = []


class NeedsOut(Out):
    """A conversation's routing needs."""

    conversation_id: int
    required_skills: list[str]
    preferred_skills: list[str]
    widened_at: datetime | None


class PulledOut(Out):
    """The conversation "next best" gave the agent, or null when the queue holds none they may take."""

    conversation_id: int | None
