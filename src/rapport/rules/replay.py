"""Replay: run a rule in dry run over the last N days of the event log and say what it would have done.

Nothing is written. Each event the rule reacts to is read with its message and payload as they were, and with the
calendars open as they were at that instant; the conversation's own fields (status, tags, assignee …) are read as
they are now, since the log keeps changes, not whole states. Count rules count from the start of the replayed
window; time rules are said to fire at their instant when that has passed. At most RAPPORT_RULES_REPLAY_MAX_DAYS
days and RAPPORT_RULES_REPLAY_MAX_EVENTS events are read.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.conditions.evaluate import Snapshot, matches
from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.models import Event, Message
from rapport.rules import definition, engine, repository
from rapport.rules.definition import Compiled

HITS_SHOWN = 500
CHUNK = 1000  # ids in one IN list
SLACK = timedelta(hours=1)  # events are recorded in id order give or take a transaction's length


def replay(session: Session, actor: Actor, *, kind: str, definition_: Any, days: int) -> dict:
    """What the rule would have done over the last `days` days: its hits, newest last, and what was read."""
    authorize(actor, "admin")
    settings = get_settings()
    if not 1 <= days <= settings.rules_replay_max_days:
        raise Invalid(
            f"A replay reads 1 to {settings.rules_replay_max_days} days (RAPPORT_RULES_REPLAY_MAX_DAYS).",
            errors=[{"field": "days"}],
        )
    rule = definition.unsaved(kind, definition.check(session, kind, definition_))
    stamp = now()
    rows = _events(session, rule, stamp - timedelta(days=days), settings.rules_replay_max_events + 1)
    truncated = len(rows) > settings.rules_replay_max_events
    rows = rows[: settings.rules_replay_max_events]
    caused = repository.caused(session, [r.id for r in rows]) if not rule.cascade else {}
    texts = _messages(session, {r.message_id for r in rows if r.message_id})
    bases: dict[int, Snapshot | None] = {}
    tallies: dict[str, deque] = {}
    hits = []
    for row in rows:
        if row.id in caused:
            continue  # a rule wrote it: this rule does not cascade
        event = engine.of_row(row)
        if event.conversation_id not in bases:
            bases[event.conversation_id] = repository.snapshot(session, event.conversation_id)
        base = bases[event.conversation_id]
        if base is None:
            continue
        text, channel = texts.get(event.message_id, (None, None))
        snap = dataclasses.replace(
            base, message_text=text, message_channel=channel, event=event.payload,
            open_calendars=engine.open_calendars(session, set(rule.calendars), event.occurred_at),
        )  # fmt: skip
        hit = _decide(session, rule, event, snap, tallies, stamp)
        if hit is not None:
            hits.append(hit)
    return {
        "days": days,
        "events_read": len(rows),
        "truncated": truncated,
        "conversations": len({h["conversation_id"] for h in hits}),
        "fired": len(hits),
        "hits": hits[-HITS_SHOWN:],
        "would_do": [action.describe(params) for action, params in rule.actions],
    }


def _decide(session, rule: Compiled, event, snap: Snapshot, tallies: dict, stamp) -> dict | None:
    """The hit of one event (each event not written by a rule starts its own cycle, so it fires at most once)."""
    at = event.occurred_at
    if rule.kind == "time":
        at = engine.due_at(session, rule, event.occurred_at)
        if at > stamp:
            return None  # still waiting
    if rule.condition is not None and not matches(rule.condition, snap):
        return None
    if rule.kind == "count":
        spec = rule.count
        subject = {"customer": snap.customer_id, "conversation": event.conversation_id, "agent": snap.assignee_id}[
            spec.per
        ]
        if subject is None:
            return None
        window = tallies.setdefault(f"{spec.per}:{subject}", deque())
        window.append(event.occurred_at)
        if spec.window_days:
            while window and window[0] <= event.occurred_at - timedelta(days=spec.window_days):
                window.popleft()
        total = len(window)
        if not (total == spec.nth if spec.nth is not None else total % spec.every == 0):
            return None
    return {
        "conversation_id": event.conversation_id,
        "event_id": event.id,
        "event": event.name,
        "at": at.isoformat(),
        "actions": [action.describe(params) for action, params in rule.actions],
    }


def _events(session: Session, rule: Compiled, since, limit: int) -> list:
    # Ids are handed out before commit, so an event a little older than `since` may sit just after the bound: the
    # time test below keeps the window exact; the id bound lets ix_events_name (name, id) read only the window.
    start = repository.first_event_since(session, since - SLACK)
    query = (
        select(
            Event.id,
            Event.name,
            Event.occurred_at,
            Event.conversation_id,
            Event.customer_id,
            Event.message_id,
            Event.payload,
        )  # fmt: skip
        .where(
            Event.id >= start,
            Event.occurred_at >= since,
            Event.name.in_(sorted(rule.events)),
            Event.conversation_id.is_not(None),
            Event.actor_kind != "import",
        )
        .order_by(Event.id)
        .limit(limit)
    )
    return list(session.execute(query))


def _messages(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), CHUNK):
        query = select(Message.id, Message.body_text, Message.channel).where(Message.id.in_(ordered[i : i + CHUNK]))
        found.update({r.id: (r.body_text, r.channel) for r in session.execute(query)})
    return found
