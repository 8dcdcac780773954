"""Time rules: one job per rule and conversation, due to the minute, that checks the conditions again when it runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rapport.conditions.evaluate import matches
from rapport.models import Event, Rule
from rapport.rules import definition, engine, repository
from rapport.worker import scheduler
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
