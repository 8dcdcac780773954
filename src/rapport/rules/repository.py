"""Every query of the rules package: rules and versions, what a condition sees, runs, cascade marks, tallies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rapport.conditions.evaluate import CONVERSATION_COLUMNS, Snapshot
from rapport.db.bulk import dialect_insert
from rapport.kit.problems import NotFound
from rapport.models import (
    Agent,
    Conversation,
    ConversationTag,
    Customer,
    Event,
    Message,
    Rule,
    RuleCaused,
    RuleRun,
    RuleTally,
    RuleVersion,
    Team,
    agent_teams,
)
from rapport.models.enums import Direction

C = Conversation.__table__.c
# An inbound message no rule may answer: the email pipeline's kinds that are not a person writing, and mailings.
AUTOMATIC_KINDS = {"auto_reply": "an automatic reply", "bounce": "a bounce", "report": "a report", "loop": "a loop"}


def listed(session: Session) -> list[Rule]:
    """Every rule in the order they run."""
    return list(session.scalars(select(Rule).order_by(Rule.position, Rule.id)))


def get(session: Session, rule_id: int, *, lock: bool = False) -> Rule:
    """One rule; NotFound otherwise."""
    query = select(Rule).where(Rule.id == rule_id)
    rule = session.scalars(query.with_for_update() if lock else query).first()
    if rule is None:
        raise NotFound(f"There is no rule {rule_id}.")
    return rule


def by_name(session: Session, name: str) -> Rule | None:
    """The rule called `name` (case aside), if any."""
    return session.scalars(select(Rule).where(func.lower(Rule.name) == name.lower())).first()


def versions(session: Session, rule_id: int) -> list[RuleVersion]:
    """A rule's versions, newest first."""
    query = select(RuleVersion).where(RuleVersion.rule_id == rule_id).order_by(RuleVersion.number.desc())
    return list(session.scalars(query))


def version(session: Session, version_id: int) -> RuleVersion | None:
    """One version by id."""
    return session.get(RuleVersion, version_id)


def enabled(session: Session) -> list[tuple]:
    """(rule id, name, kind, position, version id, number, definition) of every enabled rule, in order."""
    query = (
        select(Rule.id, Rule.name, Rule.kind, Rule.position, RuleVersion.id, RuleVersion.number, RuleVersion.definition)
        .join(RuleVersion, RuleVersion.id == Rule.version_id)
        .where(Rule.enabled.is_(True))
        .order_by(Rule.position, Rule.id)
    )
    return [tuple(r) for r in session.execute(query)]


def next_position(session: Session) -> int:
    """The position after the last rule's."""
    return (session.scalar(select(func.max(Rule.position))) or 0) + 1


def team_exists(session: Session, team_id: int) -> bool:
    """Whether team `team_id` exists."""
    return session.get(Team, team_id) is not None


def agent_active(session: Session, agent_id: int) -> bool:
    """Whether agent `agent_id` exists and is active."""
    agent = session.get(Agent, agent_id)
    return agent is not None and agent.active


def active_agents(session: Session, agent_ids: Iterable[int], team_ids: Iterable[int]) -> list[int]:
    """The active agents among `agent_ids` and the members of `team_ids`, each once."""
    wanted = set(agent_ids)
    team_ids = list(team_ids)
    if team_ids:
        wanted |= set(session.scalars(select(agent_teams.c.agent_id).where(agent_teams.c.team_id.in_(team_ids))))
    if not wanted:
        return []
    return sorted(session.scalars(select(Agent.id).where(Agent.id.in_(wanted), Agent.active.is_(True))))


def custom_fields(session: Session, conversation_id: int) -> dict:
    """A conversation's custom field values."""
    return dict(session.scalar(select(C.custom_fields).where(C.id == conversation_id)) or {})


def placeholders(session: Session, conversation_id: int, rule_name: str) -> dict[str, object]:
    """The values a rule's text may name, for one conversation."""
    row = session.execute(
        select(C.id, C.subject, C.custom_fields, C.assignee_id, Customer.name, Customer.attributes)
        .join(Customer, Customer.id == C.customer_id)
        .where(C.id == conversation_id)
    ).one()
    agent = session.get(Agent, row.assignee_id) if row.assignee_id else None
    values: dict[str, object] = {
        "customer.name": row.name or "",
        "conversation.number": row.id,
        "conversation.subject": row.subject or "",
        "agent.name": agent.name if agent else "",
        "rule.name": rule_name,
    }
    values |= {f"field.{k}": v for k, v in (row.custom_fields or {}).items()}
    values |= {f"attribute.{k}": v for k, v in (row.attributes or {}).items()}
    return values


def latest_inbound_is_automatic(session: Session, conversation_id: int) -> str | None:
    """What makes the conversation's latest inbound message one no rule may answer (in words), or None."""
    meta = session.scalar(
        select(Message.meta)
        .where(Message.conversation_id == conversation_id, Message.direction == Direction.inbound.value)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    return automatic(meta)


def automatic(meta: dict | None) -> str | None:
    """Why a message with this meta must not be answered automatically, or None."""
    meta = meta or {}
    if meta.get("no_auto_reply"):
        return "the customer's message was a mailing"
    kind = (meta.get("email") or {}).get("kind") or meta.get("kind")
    if kind in AUTOMATIC_KINDS:
        return f"the customer's message was {AUTOMATIC_KINDS[kind]}"
    if kind == "bulk":
        return "the customer's message was a mailing"
    return None


def snapshot(session: Session, conversation_id: int, **extra) -> Snapshot | None:
    """What a condition sees of a conversation and its customer (`extra`: the rule's message, event, calendars)."""
    row = session.execute(
        select(*(C[n] for n in CONVERSATION_COLUMNS), Customer.segment, Customer.vip, Customer.attributes)
        .join(Customer, Customer.id == C.customer_id)
        .where(C.id == conversation_id)
    ).first()
    if row is None:
        return None
    tags = session.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id))
    return Snapshot(
        **{n: getattr(row, n) for n in CONVERSATION_COLUMNS},
        tags=frozenset(tags),
        segment=row.segment,
        vip=bool(row.vip),
        attributes=row.attributes or {},
        **extra,
    )


def message(session: Session, message_id: int | None) -> tuple[str | None, str | None]:
    """A message's text and channel."""
    if message_id is None:
        return None, None
    row = session.execute(select(Message.body_text, Message.channel).where(Message.id == message_id)).first()
    return (row.body_text, row.channel) if row else (None, None)


def caused(session: Session, event_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Event id -> (cycle, depth) for those of `event_ids` a rule's actions wrote."""
    ids = list(event_ids)
    if not ids:
        return {}
    query = select(RuleCaused.event_id, RuleCaused.cycle_id, RuleCaused.depth).where(RuleCaused.event_id.in_(ids))
    return {r.event_id: (r.cycle_id, r.depth) for r in session.execute(query)}


def mark_caused(session: Session, rows: list[dict]) -> None:
    """Mark events a rule's actions wrote with their cycle and depth."""
    if rows:
        session.execute(dialect_insert(session, RuleCaused).values(rows).on_conflict_do_nothing())


def run_of(session: Session, rule_id: int, conversation_id: int, cycle_id: int) -> RuleRun | None:
    """The rule's run on the conversation in this cycle, if any."""
    query = select(RuleRun).where(
        RuleRun.rule_id == rule_id, RuleRun.conversation_id == conversation_id, RuleRun.cycle_id == cycle_id
    )
    return session.scalars(query).first()


def add_run(session: Session, **row) -> None:
    """Record a run (its unique key makes a second one for the same rule, conversation and cycle impossible)."""
    session.execute(insert(RuleRun).values(**row))


def tally(session: Session, rule_id: int, subject: str, event_id: int, at: datetime, since: datetime | None) -> int:
    """Count event `event_id` for `subject` (once, however often it is handed over); the count within the window."""
    row = {"rule_id": rule_id, "subject": subject, "event_id": event_id, "occurred_at": at}
    session.execute(dialect_insert(session, RuleTally).values(**row).on_conflict_do_nothing())
    return count(session, rule_id, subject, since)


def count(session: Session, rule_id: int, subject: str, since: datetime | None) -> int:
    """How many events the rule counted for `subject` since `since` (ix_rule_tallies_subject answers it)."""
    query = select(func.count()).where(RuleTally.rule_id == rule_id, RuleTally.subject == subject)
    if since is not None:
        query = query.where(RuleTally.occurred_at > since)
    return session.scalar(query) or 0


def first_event_since(session: Session, since: datetime) -> int:
    """The first event id recorded at or after `since`, found by bisecting the ids (the log has no index on time;
    ids follow time, so a few primary-key reads replace a scan of the whole log)."""
    lo, hi = session.execute(select(func.min(Event.id), func.max(Event.id))).one()
    if lo is None:
        return 0
    hi += 1
    while lo < hi:
        mid = (lo + hi) // 2
        at = session.scalar(select(Event.occurred_at).where(Event.id >= mid).order_by(Event.id).limit(1))
        if at is not None and _aware(at) < since:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)
