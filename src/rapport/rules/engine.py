"""Running rules: event and count rules as an event consumer after commit, time rules as jobs when they fall due.

Rules run in their explicit order, each on the conversation as the rules before it left it. A rule fires at most
once per conversation per event cycle (an event no rule wrote, and everything rules wrote because of it): its run's
unique key says so, and also makes an event handed over twice (delivery is at least once) find its run and do
nothing. A rule reacts to what rules wrote only when it says `cascade`, and only up to `RAPPORT_RULES_MAX_CASCADE`
levels deep; a rule that would fire again in its cycle (two rules ping-ponging) or beyond the limit is stopped and
that is recorded (`rule.stopped`). A rule that fails is rolled back to a savepoint, recorded (`rule.failed`) and
skipped: the events and the other rules go on. Every firing records `rule.executed` on the conversation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rapport.calendars import service as calendars
from rapport.conditions.evaluate import Snapshot, matched, matches
from rapport.config import get_settings
from rapport.db.outage import is_unavailable
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor
from rapport.kit import business_time
from rapport.kit.clock import now
from rapport.rules import definition, repository
from rapport.rules.context import Run
from rapport.rules.definition import Compiled

log = logging.getLogger(__name__)
ERROR_CHARS = 500


@dataclass(frozen=True)
class Happened:
    """The event a rule answers: the log row's fields a rule reads."""

    id: int
    name: str
    occurred_at: datetime
    conversation_id: int | None
    customer_id: int | None
    message_id: int | None
    payload: dict


def of_row(row: Any) -> Happened:
    """The event of a log row (a consumer's row or an ORM event)."""
    return Happened(row.id, row.name, row.occurred_at, row.conversation_id, row.customer_id, row.message_id,
                    dict(row.payload or {}))  # fmt: skip


ACTIVE = "rules.active"  # session.info: the enabled rules as `wanted` read them, for the consumer's batch to reuse


def active(session: Session) -> list[Compiled]:
    """The enabled rules, in order, as the engine runs them (a rule whose action is gone is left out, logged)."""
    kept = session.info.pop(ACTIVE, None)
    if kept is not None:
        return kept  # read by `wanted` a moment ago in this transaction: the consumer's round asks twice
    out = []
    for rule_id, name, kind, position, version_id, number, stored in repository.enabled(session):
        try:
            out.append(definition.compile(rule_id, name, kind, position, version_id, number, stored))
        except LookupError as exc:
            log.warning("rule %s (%s) cannot run: %s", rule_id, name, exc)
    return out


def wanted(session: Session) -> set[str]:
    """The events some enabled rule reacts to (what the consumer is handed); the rules are kept for its batch."""
    rules = active(session)
    session.info[ACTIVE] = rules
    return set().union(*(r.events for r in rules))


def actor_of(rule: Compiled) -> Actor:
    """Who acts when a rule does: the system, named after the rule."""
    return Actor(kind="system", name=f"Rule “{rule.name}”")


def open_calendars(session: Session, ids: set[int], at: datetime) -> frozenset[int]:
    """Which of the calendars are open at `at` (a calendar that does not exist is closed)."""
    found = set()
    for calendar_id in ids:
        version = calendars.version_at(session, calendar_id, at)
        if version is not None and business_time.is_open(calendars.calendar_of(version), at):
            found.add(calendar_id)
    return frozenset(found)


def snapshot(session: Session, event: Happened, rules: list[Compiled]) -> Snapshot | None:
    """What the rules' conditions see for this event: the conversation, its message, the event, calendars open now."""
    text, channel = repository.message(session, event.message_id)
    wanted_calendars = set().union(*(r.calendars for r in rules)) if rules else set()
    return repository.snapshot(
        session,
        event.conversation_id,
        message_text=text,
        message_channel=channel,
        event=event.payload,
        open_calendars=open_calendars(session, wanted_calendars, now()),
    )


def handle(session: Session, rules: list[Compiled], event: Happened, cycle: int, depth: int) -> None:
    """Run every rule that reacts to `event` on its conversation, in order."""
    if event.conversation_id is None:
        return
    mine = [r for r in rules if event.name in r.events and (depth == 0 or r.cascade)]
    snap = None
    for rule in mine:
        if snap is None:
            snap = snapshot(session, event, mine)
            if snap is None:
                return  # the conversation is gone
        if rule.kind == "time":
            schedule(session, rule, event, depth)
            continue
        if rule.condition is not None and not matches(rule.condition, snap):
            continue
        extra: list[dict] = []
        if rule.kind == "count":
            counted = count(session, rule, event, snap)
            if counted is None:
                continue
            extra = [{"count": counted}]
        if fire(session, rule, event, snap, cycle, depth, extra=extra):
            snap = None  # it changed the conversation: the next rule sees it as it is now


def count(session: Session, rule: Compiled, event: Happened, snap: Snapshot) -> int | None:
    """Count the event for the rule's subject; the count when it is the one the rule fires on, else None."""
    spec = rule.count
    subject_id = {"customer": snap.customer_id, "conversation": event.conversation_id, "agent": snap.assignee_id}[
        spec.per
    ]
    if subject_id is None:
        return None  # no agent holds it: nothing to count for an agent
    since = event.occurred_at - timedelta(days=spec.window_days) if spec.window_days else None
    total = repository.tally(session, rule.rule_id, f"{spec.per}:{subject_id}", event.id, event.occurred_at, since)
    hit = total == spec.nth if spec.nth is not None else total % spec.every == 0
    return total if hit else None


def fire(
    session: Session, rule: Compiled, event: Happened, snap: Snapshot, cycle: int, depth: int, *, extra=()
) -> bool:
    """Run the rule's actions on the conversation once in this cycle; True when it changed something."""
    conversation_id = event.conversation_id
    existing = repository.run_of(session, rule.rule_id, conversation_id, cycle)
    base = {"rule_id": rule.rule_id, "rule": rule.name, "version": rule.number, "event_id": event.id}
    ids = {"conversation_id": conversation_id, "customer_id": snap.customer_id}
    if existing is not None:
        if existing.event_id != event.id and existing.outcome == "fired" and not existing.detail:
            # It fired already in this cycle and would again: rules undoing each other. Said once per cycle.
            existing.detail = f"stopped at event {event.id}: already ran in this cycle"
            record(session, "rule.stopped", actor_of(rule), **ids, **base, reason="loop", depth=depth)
        return False
    row = {"rule_id": rule.rule_id, "version_id": rule.version_id, "conversation_id": conversation_id,
           "cycle_id": cycle, "event_id": event.id, "depth": depth, "at": now()}  # fmt: skip
    limit = get_settings().rules_max_cascade
    if depth > limit:
        repository.add_run(session, **row, outcome="stopped", detail=f"cascade limit {limit} reached")
        record(session, "rule.stopped", actor_of(rule), **ids, **base, reason="depth", depth=depth, limit=limit)
        return False
    recorded = session.info.setdefault("events", [])
    before = len(recorded)
    run = Run(session, actor_of(rule), rule, conversation_id, snap.customer_id, event)
    try:
        with session.begin_nested():
            repository.add_run(session, **row, outcome="fired", detail="")
            done = [action.handler(run, params) for action, params in rule.actions]
            session.flush()
    except Exception as exc:  # noqa: BLE001  (a failing rule is recorded and skipped, never blocking the others)
        if is_unavailable(exc):
            raise
        del recorded[before:]  # rolled back: never published
        error = f"{type(exc).__name__}: {getattr(exc, 'detail', None) or exc}"[:ERROR_CHARS]
        log.info("rule %s failed on event %s: %s", rule.rule_id, event.id, error)
        repository.add_run(session, **row, outcome="failed", detail=error)
        record(session, "rule.failed", actor_of(rule), **ids, **base, error=error)
        return False
    executed = record(
        session, "rule.executed", actor_of(rule), **ids, **base, kind=rule.kind,
        matched=[*extra, *(matched(rule.condition, snap) if rule.condition is not None else [])],
        actions=done, cycle_id=cycle, depth=depth,
    )  # fmt: skip
    # Everything this run wrote (its own record included) belongs to the cycle, one level deeper.
    caused = recorded[before:]
    mark = {"cycle_id": cycle, "depth": depth + 1, "rule_id": rule.rule_id}
    repository.mark_caused(session, [{"event_id": e.id, **mark} for e in caused])
    written = [e for e in caused if e.id != executed.id]
    return bool(written)


def due_at(session: Session, rule: Compiled, start: datetime) -> datetime:
    """When a time rule acts: its delay after `start`, in calendar time or in its calendar's business hours."""
    delay = rule.delay
    if not delay.business:
        return start + timedelta(minutes=delay.minutes)
    version = calendars.version_at(session, delay.calendar_id, start) or calendars.latest(session, delay.calendar_id)
    return business_time.add_business_seconds(calendars.calendar_of(version), start, delay.minutes * 60)


def schedule(session: Session, rule: Compiled, event: Happened, depth: int) -> None:
    """Queue (or move to its new instant) the time rule's check on this conversation, keyed by rule and
    conversation: a later event of its kind starts the wait again ("2 hours after the *last* message")."""
    from rapport.rules import timed  # the job module imports this one

    try:
        at = due_at(session, rule, event.occurred_at)
    except Exception as exc:  # noqa: BLE001  (a calendar gone since the rule was saved: recorded, not blocking)
        if is_unavailable(exc):
            raise
        error = f"{type(exc).__name__}: {getattr(exc, 'detail', None) or exc}"[:ERROR_CHARS]
        record(session, "rule.failed", actor_of(rule), conversation_id=event.conversation_id,
               customer_id=event.customer_id, rule_id=rule.rule_id, rule=rule.name, version=rule.number,
               event_id=event.id, error=error)  # fmt: skip
        return
    timed.plan(session, rule.rule_id, event.conversation_id, event.id, depth, at)
