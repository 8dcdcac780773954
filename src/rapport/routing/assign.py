"""Routing carried out: gather the candidates, decide (`decide.decide`), assign through the conversations service (so
`conversation.assigned`, its hooks and notifications fire) and record why (`conversation.routed`).

Triggers live in `listeners.py` (after commit, idempotent: an assigned conversation is never routed again). Here:
`route` one conversation, `route_queue` the waiting ones in routing order (an agent became available, capacity was
freed), `release` an agent's unstarted work back to the queue, `widen` a conversation's pool after the spillover
timer, and `next_best`: an agent pulls the best waiting conversation, atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rapport.calendars import service as calendars
from rapport.config import get_settings
from rapport.conversations import service as conversations
from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM, Actor, authorize
from rapport.kit.business_time import is_open
from rapport.kit.clock import now
from rapport.kit.problems import Forbidden
from rapport.models import Agent, AgentRouting, Conversation, RoutingSetting
from rapport.routing import repository
from rapport.routing.decide import Candidate, Decision, Need, Why, decide
from rapport.worker import scheduler

DEFAULT_CAPACITY = 5  # an agent without a routing row takes this many conversations
SPILL_JOB = "routing.widen"


@dataclass(frozen=True)
class Plan:
    """A routing decision not yet carried out: the setting that applies and the decision."""

    setting: RoutingSetting
    decision: Decision
    widened: bool
    required: tuple[str, ...]


def spill_key(conversation_id: int) -> str:
    """The key of a conversation's spillover job."""
    return f"{SPILL_JOB}:{conversation_id}"


def on_shift(session: Session, calendar_id: int | None, at: datetime) -> bool:
    """Whether an agent with shift calendar `calendar_id` works at `at` (no calendar: always)."""
    if calendar_id is None:
        return True
    version = calendars.version_at(session, calendar_id, at)
    return version is not None and is_open(calendars.calendar_of(version), at)


def candidates(session: Session, team_id: int | None, channel: str, at: datetime) -> list[Candidate]:
    """The agents of the pool (the team's, or everyone's) who are online, each with whether their shift hours let them
    take work now, their skills, load and capacity (offline agents are never candidates, so they are not read)."""
    rows = repository.roster(session, team_id)
    load = repository.pool_loads(session, team_id) if rows else {}
    shifts: dict[int | None, bool] = {}
    out = []
    for agent in rows:
        weights, per = agent.weights, load.get(agent.id, {})
        weighted = 0.0
        for ch, n in per.items():
            weighted += weights.get(ch, 1) * n
        if agent.calendar_id not in shifts:
            shifts[agent.calendar_id] = on_shift(session, agent.calendar_id, at)
        capacity = agent.capacity or DEFAULT_CAPACITY
        out.append(
            Candidate(
                agent.id,
                agent.name,
                shifts[agent.calendar_id],
                agent.skills,
                capacity,
                weighted,
                per.get(channel, 0),
                agent.caps.get(channel),
                float(weights.get(channel, 1)),
            )  # fmt: skip
        )
    return out


def plan(session: Session, conv: Conversation, at: datetime | None = None) -> Plan | None:
    """The decision for `conv` as things stand (None: no routing setting covers it); writes nothing."""
    at = at or now()
    setting, queue_name = repository.setting_for(session, conv.inbox_id, conv.team_id)
    if setting is None:
        return None
    needs = repository.needs(session, conv.id)
    required = tuple(needs.required_skills) if needs else ()
    preferred = frozenset(needs.preferred_skills) if needs else frozenset()
    widened = bool(needs and needs.widened_at)
    sticky = None
    if setting.sticky_days:
        since = at - timedelta(days=setting.sticky_days)
        sticky = repository.previous_agent(session, conv.customer_id, conv.id, since)
    team_id = None if widened else repository.pool_team(session, setting, conv.inbox_id, conv.team_id)
    need = Need(
        queue=queue_name,
        mode=setting.mode,
        # After spillover the required skills are only preferred: any agent of the wider pool may take it.
        required=frozenset() if widened else frozenset(required),
        preferred=preferred | frozenset(required) if widened else preferred,
        sticky_agent_id=sticky,
        cursor_agent_id=setting.cursor_agent_id,
    )
    decision = decide(need, candidates(session, team_id, conv.channel, at))
    return Plan(setting, decision, widened, required)


def route(session: Session, conversation_id: int, at: datetime | None = None) -> Decision | None:
    """Route one conversation if it waits unassigned and a setting routes it; the decision (None: nothing to do)."""
    conv = repository.lock_conversation(session, conversation_id)
    if conv is None or conv.assignee_id is not None or conv.merged_into_id is not None:
        return None
    if conv.status not in repository.LOAD_STATUSES or conv.snoozed_until is not None:
        return None
    planned = plan(session, conv, at)
    if planned is None:
        return None
    decision, setting = planned.decision, planned.setting
    if decision.agent_id is None:
        if decision.why.outcome == "no_skilled_agent" and setting.spillover_seconds and not planned.widened:
            due = (at or now()) + timedelta(seconds=setting.spillover_seconds)
            scheduler.schedule(session, SPILL_JOB, spill_key(conv.id), due, {"conversation_id": conv.id})
        return decision
    assign(session, conv, decision, pulled=False)
    if setting.mode == "round_robin":
        setting.cursor_agent_id = decision.agent_id
    return decision


def assign(session: Session, conv: Conversation, decision: Decision, *, pulled: bool, actor: Actor = SYSTEM) -> None:
    """Assign through the conversations service and record why."""
    agent = session.get(Agent, decision.agent_id)
    conversations.update(session, actor, conv.id, conversations.Changes(assignee_id=decision.agent_id))
    session.flush()  # the next decision in this transaction counts it in the agent's load (no autoflush)
    scheduler.cancel(session, spill_key(conv.id))
    payload = decision.why.as_payload()
    record(
        session,
        "conversation.routed",
        actor,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        agent_id=decision.agent_id,
        agent_name=agent.name if agent else "",
        pulled=pulled,
        **payload,
    )


def route_queue(session: Session, *, limit: int | None = None, at: datetime | None = None) -> list[int]:
    """Route the waiting conversations of routed queues in routing order, at most `limit`; those assigned."""
    limit = limit or get_settings().routing_queue_batch
    inbox_ids, team_ids = repository.routed_scopes(session)
    if not inbox_ids and not team_ids:
        return []
    inbox_ids = [*inbox_ids, *repository.team_inboxes(session, team_ids)]
    waiting = list(session.scalars(repository.queue(inbox_ids=inbox_ids, team_ids=team_ids).limit(limit)))
    assigned = []
    for conversation_id in waiting:
        decision = route(session, conversation_id, at)
        if decision is not None and decision.agent_id is not None:
            assigned.append(conversation_id)
    return assigned


def release(session: Session, agent_id: int, reason: str) -> list[int]:
    """Return the agent's unstarted conversations (no reply yet) to the queue; their ids."""
    agent = session.get(Agent, agent_id)
    released = repository.unstarted(session, agent_id, get_settings().routing_queue_batch)
    for conversation_id in released:
        conv = conversations.update(session, SYSTEM, conversation_id, conversations.Changes(assignee_id=None))
        session.flush()
        record(
            session,
            "conversation.released",
            SYSTEM,
            conversation_id=conversation_id,
            customer_id=conv.customer_id,
            agent_id=agent_id,
            agent_name=agent.name if agent else "",
            reason=reason,
        )
    return released


def widen(session: Session, conversation_id: int, at: datetime | None = None) -> Decision | None:
    """The spillover timer ran out: open the conversation to every agent and route it again (once)."""
    conv = repository.lock_conversation(session, conversation_id)
    needs = repository.needs(session, conversation_id)
    if conv is None or conv.assignee_id is not None or needs is None or needs.widened_at is not None:
        return None
    setting, _ = repository.setting_for(session, conv.inbox_id, conv.team_id)
    needs.widened_at = at or now()
    needs.updated_at = needs.widened_at
    record(
        session,
        "conversation.widened",
        SYSTEM,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        skills=list(needs.required_skills),
        after_seconds=(setting.spillover_seconds or 0) if setting else 0,
    )
    return route(session, conversation_id, at)


def next_best(session: Session, actor: Actor) -> Conversation | None:
    """Claim the best waiting conversation for the acting agent (None: the queue holds none they may take).

    Two agents pulling at once never get the same one: on PostgreSQL each claim locks its row with SKIP LOCKED (a row
    another puller holds is passed over, and one assigned meanwhile no longer matches); SQLite's single writer runs
    one pull after the other.
    """
    authorize(actor, "conversations.write")
    agent = session.get(Agent, actor.id) if actor.kind == "agent" else None
    if agent is None or not agent.active:
        raise Forbidden("Only an active agent can take the next conversation.")
    teams = repository.agent_team_ids(session, agent.id)
    scope = {"team_ids": teams, "inbox_ids": repository.team_inboxes(session, teams)} if teams else {}
    ids = list(session.scalars(repository.queue(**scope).limit(get_settings().routing_pull_scan)))
    skills = frozenset(agent.skills or ())
    needs = repository.needs_of(session, ids)
    for conversation_id in ids:
        need = needs.get(conversation_id)
        if need and not need.widened_at and not frozenset(need.required_skills) <= skills:
            continue
        conv = repository.claim(session, conversation_id)
        if conv is None:
            continue  # another agent holds or took it
        setting, queue_name = repository.setting_for(session, conv.inbox_id, conv.team_id)
        matched = tuple(sorted(skills & frozenset((need.required_skills + need.preferred_skills) if need else ())))
        why = _pulled_why(session, agent.id, queue_name or "all", setting.mode if setting else "manual", matched)
        assign(session, conv, Decision(agent.id, why), pulled=True, actor=actor)
        return conv
    return None


def _pulled_why(session: Session, agent_id: int, queue: str, mode: str, skills: tuple[str, ...]) -> Why:
    routing = session.get(AgentRouting, agent_id)
    load = repository.loads(session, [agent_id]).get(agent_id, {})
    weights = (routing.channel_weights if routing else None) or {}
    weighted = float(sum(float(weights.get(ch, 1)) * n for ch, n in load.items()))
    capacity = routing.capacity if routing else DEFAULT_CAPACITY
    return Why(queue, mode, "assigned", skills=skills, load=weighted, capacity=capacity, rank=1, considered=1)
