"""The routing decision, pure: which candidate agent takes a conversation, and why.

No database and no clock: the service gathers the candidates (their availability, skills, load and capacity) and
the conversation's needs, and this module picks. The same inputs always give the same agent, so a decision can be
explained after the fact and benchmarked in isolation.

Order of the checks: an agent must be available (online and within their shift hours), hold every required skill,
and have room (the conversation's channel weight fits in their spare capacity and the channel's cap is not
reached). Among those, a returning customer's previous agent wins (stickiness); otherwise `balanced` takes the
agent with the most preferred skills, then the largest share of spare capacity, then the lowest load, then the
lowest id; `round_robin` takes, among those with the most preferred skills, the next agent by id after the cursor.
`manual` assigns nobody: agents pull.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MODES = ("balanced", "round_robin", "manual")


@dataclass(slots=True)  # not frozen: built a few hundred times per decision, and frozen init costs 3x
class Candidate:
    """An agent who might take the conversation, as routing sees them at this moment."""

    agent_id: int
    name: str
    available: bool
    skills: frozenset[str]
    capacity: int
    load: float  # the weighted sum of their active conversations
    channel_count: int = 0  # their active conversations on the conversation's channel
    channel_cap: int | None = None  # at most this many on that channel (None: no cap)
    weight: float = 1.0  # what the conversation would add to their load

    @property
    def spare(self) -> float:
        """Capacity left before taking the conversation."""
        return self.capacity - self.load

    def has_room(self) -> bool:
        """Whether the conversation fits within the capacity and the channel's cap."""
        if self.load + self.weight > self.capacity:
            return False
        return self.channel_cap is None or self.channel_count < self.channel_cap


@dataclass(frozen=True, slots=True)
class Need:
    """What the conversation asks of its agent, and how its queue routes."""

    queue: str  # the team's or inbox's name, as the timeline shows it
    mode: str = "balanced"
    required: frozenset[str] = frozenset()
    preferred: frozenset[str] = frozenset()
    sticky_agent_id: int | None = None  # the returning customer's previous agent, within the stickiness window
    cursor_agent_id: int | None = None  # round robin: who got the last one


@dataclass(frozen=True, slots=True)
class Why:
    """Why this agent (or why nobody): the queue, the skills matched, the capacity, the rank among the candidates."""

    queue: str
    mode: str
    outcome: str  # assigned | manual | no_agent_available | no_skilled_agent | no_capacity
    skills: tuple[str, ...] = ()  # required and preferred skills the agent holds
    missing: tuple[str, ...] = ()  # required skills nobody available holds (when no_skilled_agent)
    load: float = 0.0  # the agent's load before this conversation
    capacity: int = 0
    rank: int = 0  # 1 = the best of `considered`
    considered: int = 0  # candidates with room and the required skills
    sticky: bool = False

    def as_payload(self) -> dict:
        """The reason as an event payload stores it."""
        return {
            "queue": self.queue,
            "mode": self.mode,
            "outcome": self.outcome,
            "skills": list(self.skills),
            "missing": list(self.missing),
            "load": self.load,
            "capacity": self.capacity,
            "rank": self.rank,
            "considered": self.considered,
            "sticky": self.sticky,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The agent chosen (None: nobody) and why."""

    agent_id: int | None
    why: Why
    ranked: tuple[int, ...] = field(default=())  # every eligible agent, best first


def decide(need: Need, candidates: Iterable[Candidate]) -> Decision:
    """Choose the agent for a conversation with `need` among `candidates`, with the reason."""
    if need.mode == "manual":
        return Decision(None, Why(need.queue, need.mode, "manual"))
    available = [c for c in candidates if c.available]
    if not available:
        return Decision(None, Why(need.queue, need.mode, "no_agent_available"))
    skilled = [c for c in available if need.required <= c.skills]
    if not skilled:
        held = frozenset().union(*(c.skills for c in available))
        missing = tuple(sorted(need.required - held)) or tuple(sorted(need.required))
        return Decision(None, Why(need.queue, need.mode, "no_skilled_agent", missing=missing))
    roomy = [c for c in skilled if c.has_room()]
    if not roomy:
        return Decision(None, Why(need.queue, need.mode, "no_capacity", considered=0))
    ranked = _rank(need, roomy)
    sticky = next((c for c in roomy if c.agent_id == need.sticky_agent_id), None)
    chosen = sticky or ranked[0]
    held = tuple(sorted((need.required | need.preferred) & chosen.skills))
    why = Why(
        need.queue,
        need.mode,
        "assigned",
        skills=held,
        load=chosen.load,
        capacity=chosen.capacity,
        rank=ranked.index(chosen) + 1,
        considered=len(ranked),
        sticky=sticky is not None,
    )
    return Decision(chosen.agent_id, why, tuple(c.agent_id for c in ranked))


def _rank(need: Need, roomy: Sequence[Candidate]) -> list[Candidate]:
    def matched(c: Candidate) -> int:
        return len(need.preferred & c.skills)

    if need.mode == "round_robin":
        after = need.cursor_agent_id or 0
        # Most preferred skills first; within that, the agents after the cursor by id, then those before (a ring).
        return sorted(roomy, key=lambda c: (-matched(c), c.agent_id <= after, c.agent_id))
    return sorted(roomy, key=lambda c: (-matched(c), -(c.spare / c.capacity), c.load, c.agent_id))
