"""Snooze: an active conversation leaves the working views until a wake-up time, its status unchanged.

`snooze` sets `snoozed_until` and schedules the wake-up job under a key naming the conversation and the time, so a
later snooze or an unsnooze cancels exactly that job, and a job left behind (the customer woke it first) finds the
time no longer stands and does nothing. Waking clears the column, records `conversation.woke` and moves the
conversation to the top of its views (its last update is now); the notifications consumer tells the assignee, or
the team's members when nobody is assigned. A customer's message wakes it at once (the lifecycle hook below).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import ARRAY, BigInteger, Select, any_, bindparam, select, update
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.conversations import repository
from rapport.conversations.lifecycle import hooks
from rapport.conversations.lifecycle.core import Received
from rapport.events.outbox import record, record_many
from rapport.kernel.permissions import SYSTEM, Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid
from rapport.models import Conversation
from rapport.models.enums import ACTIVE_STATUSES
from rapport.worker import scheduler

WAKE_JOB = "conversations.wake"
_ACTIVE = {s.value for s in ACTIVE_STATUSES}


def job_key(conversation_id: int, until: datetime) -> str:
    """The wake-up job's key: one conversation at one time."""
    return f"{WAKE_JOB}:{conversation_id}:{until.astimezone(UTC).isoformat()}"


def check_until(until: datetime, *, at: datetime) -> datetime:
    """The wake-up time as stored (UTC, whole seconds); in the future and within RAPPORT_SNOOZE_MAX_DAYS."""
    if until.tzinfo is None:
        raise Invalid("Give the wake-up time with its time zone (for example 2026-12-08T09:00:00+01:00).",
                      errors=[{"field": "until"}])  # fmt: skip
    until = until.astimezone(UTC).replace(microsecond=0)
    if until <= at:
        raise Invalid("The wake-up time has passed; choose a time in the future.", errors=[{"field": "until"}])
    days = get_settings().snooze_max_days
    if until > at + timedelta(days=days):
        raise Invalid(
            f"A conversation can be snoozed for at most {days} days (RAPPORT_SNOOZE_MAX_DAYS).",
            errors=[{"field": "until"}],
        )
    return until


def snooze(session: Session, actor: Actor, conversation_id: int, until: datetime) -> Conversation:
    """Hide an active conversation from the working views until `until` (its status stays as it is)."""
    authorize(actor, "conversations.write")
    conv = repository.get_for_update(session, conversation_id)
    if conv.merged_into_id:
        raise Conflict(f"Conversation {conv.id} was merged into {conv.merged_into_id}; snooze that one.")
    if conv.status not in _ACTIVE:
        raise Conflict(f"Conversation {conv.id} is {conv.status}; only active conversations can be snoozed.")
    until = check_until(until, at=now())
    previous = conv.snoozed_until
    if previous == until:
        return conv
    if previous is not None:
        scheduler.cancel(session, job_key(conv.id, previous))
    conv.snoozed_until = until
    payload = {"conversation_id": conv.id, "until": until.isoformat()}
    scheduler.schedule(session, WAKE_JOB, job_key(conv.id, until), until, payload)
    record(session, "conversation.snoozed", actor, conversation_id=conv.id, customer_id=conv.customer_id,
           until=until, previous=previous)  # fmt: skip
    return conv


def unsnooze(session: Session, actor: Actor, conversation_id: int) -> Conversation:
    """Bring a snoozed conversation back to the working views now; nothing happens when it is not snoozed."""
    authorize(actor, "conversations.write")
    conv = repository.get_for_update(session, conversation_id)
    if conv.snoozed_until is not None:
        _wake(session, actor, conv, by="agent")
    return conv


def wake(session: Session, conversation_id: int, until: datetime) -> bool:
    """The wake-up job: wake the conversation if it is still snoozed until `until`; False when that no longer
    stands (woken or snoozed again since)."""
    conv = session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).one_or_none()
    if conv is None or conv.snoozed_until != until:
        return False
    if conv.status not in _ACTIVE:  # solved or closed meanwhile: nothing to bring back, nobody to tell
        conv.snoozed_until = None
        return True
    _wake(session, SYSTEM, conv, by="time")
    return True


def _wake(session: Session, actor: Actor, conv: Conversation, *, by: str) -> None:
    until = conv.snoozed_until
    scheduler.cancel(session, job_key(conv.id, until))
    conv.snoozed_until = None
    conv.updated_at = now()
    record(session, "conversation.woke", actor, conversation_id=conv.id, customer_id=conv.customer_id,
           until=until, by=by)  # fmt: skip


@lru_cache(maxsize=2)
def _snoozed_among(pg: bool) -> Select:
    """The snoozed ones of the conversations bound as `ids`: on PostgreSQL one array parameter, so the statement's
    text is the same for any batch (as the inbound path's own lookups, inbound_queries)."""
    c = Conversation
    among = (
        c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))) if pg else c.id.in_(bindparam("ids", expanding=True))
    )
    return select(c.id, c.customer_id, c.snoozed_until).where(among, c.snoozed_until.is_not(None))


@hooks.register("snooze")
def customer_wakes(session: Session, steps: list[hooks.Step]) -> None:
    """A customer's message wakes a snoozed conversation at once: one read for the batch, a write only when one
    of them is snoozed."""
    ids = {s.conversation_id for s in steps if isinstance(s.change, Received) and s.created_at is None}
    if not ids:
        return
    found = session.execute(
        _snoozed_among(session.connection().dialect.name == "postgresql"), {"ids": sorted(ids)}
    ).all()
    if not found:
        return
    session.execute(update(Conversation).where(Conversation.id.in_([r.id for r in found])).values(snoozed_until=None))
    for r in found:
        scheduler.cancel(session, job_key(r.id, r.snoozed_until))
    woke = [
        ("conversation.woke", SYSTEM, {"conversation_id": r.id, "customer_id": r.customer_id},
         {"until": r.snoozed_until, "by": "customer"})
        for r in found
    ]  # fmt: skip
    record_many(session, woke)
