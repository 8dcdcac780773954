"""Follow-up tasks made by answers: a recovery follow-up for the team lead when an answer is unhappy, a thank-you
task for the agent when a customer is delighted. Each has a due time in business time on the conversation's calendar
(its response clock's; none: calendar time), a job at that instant that records it overdue, and an end: done (a
recovery one with a reason code from RAPPORT_FOLLOWUP_REASON_CODES and an outcome) or cancelled (the answer changed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.events.outbox import record
from rapport.kernel.permissions import RANK, SYSTEM, Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Forbidden, Invalid, NotFound
from rapport.models import Conversation, FollowUp, SurveyRequest
from rapport.models.enums import Role
from rapport.recognition import events
from rapport.recognition.attribution import Involved, lead_of
from rapport.recognition.classify import FOLLOWUP_SIGNALS, THANKS_SIGNALS, Verdict
from rapport.sla import calendars as sla_calendars
from rapport.sla import core as business
from rapport.sla import repository as sla_clocks
from rapport.worker import scheduler

OVERDUE_JOB = "followup.overdue"
RECOVERY, THANKS = "recovery", "thanks"
OPEN, DONE, CANCELLED = "open", "done", "cancelled"
KINDS, STATES = (RECOVERY, THANKS), (OPEN, DONE, CANCELLED)


def job_key(followup_id: int) -> str:
    """The key of a follow-up's overdue job."""
    return f"followup:{followup_id}"


def _calendar_version(session: Session, conversation_id: int) -> int | None:
    # The calendar the conversation's response clock counts on (its inbox's service policy), as playbooks do.
    for clock in sla_clocks.history(session, conversation_id, limit=5):
        if clock.calendar_version_id is not None:
            return clock.calendar_version_id
    return None


def due_after(session: Session, conversation_id: int, start: datetime, minutes: int) -> tuple[datetime, int | None]:
    """The due time `minutes` of business time after `start` on the conversation's calendar, and that calendar."""
    version = _calendar_version(session, conversation_id)
    calendar = sla_calendars.by_version(session, [version]).get(version) if version is not None else None
    return business.after(calendar, start, minutes * 60), version


def _record(session: Session, name: str, actor: Actor, row: FollowUp) -> None:
    record(session, name, actor, conversation_id=row.conversation_id, customer_id=row.customer_id,
           followup_id=row.id, request_id=row.request_id, kind=row.kind, owner_id=row.owner_id,
           due_at=row.due_at.isoformat(), signals=list(row.signals or []), reason_code=row.reason_code,
           outcome=row.outcome[:500])  # fmt: skip


def _open(session: Session, req: SurveyRequest, conv: Conversation, kind: str, owner: int | None, verdict: Verdict,
          signals: list[str], at: datetime) -> None:  # fmt: skip
    settings = get_settings()
    minutes = settings.followup_due_minutes if kind == RECOVERY else settings.thanks_due_minutes
    due, version = due_after(session, conv.id, at, minutes)
    row = session.scalar(select(FollowUp).where(FollowUp.request_id == req.id, FollowUp.kind == kind))
    if row is not None and row.state != CANCELLED:
        if row.state == OPEN:  # a re-answer: the same task, with what the customer says now
            row.signals, row.summary, row.updated_at = signals, verdict.summary, at
        return
    if row is None:
        row = FollowUp(request_id=req.id, conversation_id=conv.id, customer_id=req.customer_id, kind=kind,
                       created_at=at)  # fmt: skip
        session.add(row)
    row.team_id, row.owner_id, row.state, row.signals, row.summary = conv.team_id, owner, OPEN, signals, verdict.summary
    row.due_at, row.calendar_version_id, row.updated_at = due, version, at
    session.flush()
    scheduler.cancel(session, job_key(row.id))  # a reopened one: its old job (if any) gives way to the new time
    scheduler.schedule(session, OVERDUE_JOB, job_key(row.id), due, {"followup_id": row.id})
    _record(session, events.FOLLOWUP_OPENED.name, SYSTEM, row)


def _cancel(session: Session, req: SurveyRequest, kind: str, at: datetime) -> None:
    row = session.scalar(select(FollowUp).where(FollowUp.request_id == req.id, FollowUp.kind == kind))
    if row is not None and row.state == OPEN:
        row.state, row.updated_at = CANCELLED, at
        scheduler.cancel(session, job_key(row.id))
        _record(session, events.FOLLOWUP_CANCELLED.name, SYSTEM, row)


def sync(
    session: Session, req: SurveyRequest, conv: Conversation, people: list[Involved], verdict: Verdict, at: datetime
) -> None:
    """Open, update or cancel the request's follow-ups to match its answer (a done one stays done)."""
    unhappy = [s for s in verdict.negative if s in FOLLOWUP_SIGNALS]
    if unhappy:
        _open(session, req, conv, RECOVERY, lead_of(session, conv.team_id), verdict, unhappy, at)
    else:
        _cancel(session, req, RECOVERY, at)
    thanked = next((p.agent_id for p in people if p.last_responder), conv.assignee_id)
    if verdict.thanks and thanked is not None:
        _open(session, req, conv, THANKS, thanked, verdict, sorted(THANKS_SIGNALS & set(verdict.positive)), at)
    else:
        _cancel(session, req, THANKS, at)


def may_complete(actor: Actor, row: FollowUp) -> bool:
    """Its owner, a member of its team, or a supervisor or admin may complete a follow-up."""
    if actor.kind == "system" or (actor.role is not None and RANK[actor.role] >= RANK[Role.supervisor]):
        return True
    return actor.id == row.owner_id or (row.team_id is not None and row.team_id in actor.team_ids)


def get(session: Session, actor: Actor, followup_id: int) -> FollowUp:
    """One follow-up (agents)."""
    authorize(actor, "conversations.read")
    row = session.get(FollowUp, followup_id)
    if row is None:
        raise NotFound(f"There is no follow-up {followup_id}.")
    return row


def complete(session: Session, actor: Actor, followup_id: int, *, reason_code: str, outcome: str) -> FollowUp:
    """Close an open follow-up with its reason code (required for a recovery one) and outcome."""
    authorize(actor, "conversations.write")
    row = get(session, actor, followup_id)
    if not may_complete(actor, row):
        raise Forbidden(f"Follow-up {row.id} belongs to another team: its owner, its team or a supervisor closes it.")
    if row.state != OPEN:
        raise Conflict(f"Follow-up {row.id} is {row.state} already.")
    settings = get_settings()
    outcome = (outcome or "").strip()
    if len(outcome) > settings.followup_outcome_max_chars:
        raise Invalid(f"An outcome has at most {settings.followup_outcome_max_chars} characters "
                      "(RAPPORT_FOLLOWUP_OUTCOME_MAX_CHARS).", errors=[{"field": "outcome"}])  # fmt: skip
    if row.kind == RECOVERY:
        if reason_code not in settings.followup_reason_codes:
            listed_codes = ", ".join(settings.followup_reason_codes)
            raise Invalid(
                f"Choose a reason code from RAPPORT_FOLLOWUP_REASON_CODES: {listed_codes}.",
                errors=[{"field": "reason_code"}],
            )
        if not outcome:
            raise Invalid("Say what came of the follow-up (the outcome).", errors=[{"field": "outcome"}])
    elif reason_code:
        raise Invalid("A thank-you task takes no reason code.", errors=[{"field": "reason_code"}])
    stamp = now()
    row.state, row.reason_code, row.outcome = DONE, reason_code, outcome
    row.done_by_id, row.done_at, row.updated_at = actor.id if actor.kind == "agent" else None, stamp, stamp
    scheduler.cancel(session, job_key(row.id))
    _record(session, events.FOLLOWUP_DONE.name, actor, row)
    return row


def fire_overdue(session: Session, followup_id: int) -> None:
    """The due time came: record it overdue if the follow-up is still open."""
    row = session.get(FollowUp, followup_id)
    if row is not None and row.state == OPEN:
        _record(session, events.FOLLOWUP_OVERDUE.name, SYSTEM, row)


def listed(
    session: Session,
    actor: Actor,
    *,
    state: str | None = OPEN,
    kind: str | None = None,
    team_id: int | None = None,
    mine: bool = False,
    limit: int = 100,
) -> list[FollowUp]:
    """Follow-ups by due time: an agent sees their own and their teams'; supervisors every one."""
    authorize(actor, "conversations.read")
    query = select(FollowUp)
    if state is not None:
        query = query.where(FollowUp.state == state)
    if kind is not None:
        query = query.where(FollowUp.kind == kind)
    if team_id is not None:
        query = query.where(FollowUp.team_id == team_id)
    if mine or not actor.can("supervisor.console"):
        seen = FollowUp.owner_id == actor.id
        if not mine and actor.team_ids:
            seen = seen | FollowUp.team_id.in_(sorted(actor.team_ids))
        query = query.where(seen)
    return list(session.scalars(query.order_by(FollowUp.due_at, FollowUp.id).limit(max(1, min(limit, 500)))))
