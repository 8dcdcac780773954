"""Time rules: one job per rule and conversation, due to the minute, that checks the conditions again when it runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from rapport.conditions.evaluate import matches
from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.models import Event, Rule, RuleCaused, RuleRun
from rapport.rules import definition, engine, repository
from rapport.worker import scheduler
from rapport.worker.periodic import periodic
from rapport.worker.runner import handler

JOB = "rules.due"


def key(rule_id: int, conversation_id: int) -> str:
    """The job key of a time rule's wait on one conversation."""
    return f"{JOB}:{rule_id}:{conversation_id}"


def plan(session: Session, rule_id: int, conversation_id: int, event_id: int, depth: int, at: datetime) -> None:
    """Wait until `at`, then check the rule for this conversation; a wait already queued starts again from this
    event (a running one is left to finish)."""
    name = key(rule_id, conversation_id)
    payload = {"rule_id": rule_id, "conversation_id": conversation_id, "event_id": event_id, "depth": depth}
    scheduler.cancel(session, name)
    scheduler.schedule(session, JOB, name, at, payload)


def cancel(session: Session, rule_id: int, conversation_id: int) -> bool:
    """Stop a time rule's wait on a conversation."""
    return scheduler.cancel(session, key(rule_id, conversation_id))


@handler(JOB)
def due(session: Session, payload: dict) -> None:
    """A time rule's wait is over: if the rule is still on and its conditions hold now, it fires (once per event)."""
    rule = session.get(Rule, payload["rule_id"])
    if rule is None or not rule.enabled or rule.kind != "time" or rule.version_id is None:
        return
    version = repository.version(session, rule.version_id)
    compiled = definition.compile(rule.id, rule.name, rule.kind, rule.position, version.id, version.number,
                                  version.definition)  # fmt: skip
    row = session.get(Event, payload["event_id"])
    if row is None or row.conversation_id is None:
        return
    event = engine.of_row(row)
    snap = engine.snapshot(session, event, [compiled])
    if snap is None:
        return
    if compiled.condition is not None and not matches(compiled.condition, snap):
        return
    engine.fire(session, compiled, event, snap, event.id, payload.get("depth", 0))


@periodic("rules.forget_runs", daily_at="03:40")
def forget_runs(session: Session, payload: dict) -> int:
    """Delete rule runs and cascade marks older than RAPPORT_RULES_RUNS_KEEP_DAYS; how many runs went."""
    cutoff = now() - timedelta(days=get_settings().rules_runs_keep_days)
    gone = session.execute(delete(RuleRun).where(RuleRun.at < cutoff)).rowcount
    first = repository.first_event_since(session, cutoff)
    session.execute(delete(RuleCaused).where(RuleCaused.event_id < first))
    return gone
