"""Playbook runs on conversations: start, complete or skip steps, cancel, override the solve guard.

A run keeps the template version it started on. Step due times count business time on the conversation's calendar
(the calendar its response clock counts on, else the template's, else calendar time), fixed when the run starts,
and are jobs keyed by the step (`playbook.step_due`), so an overdue step is found at its instant, never by a scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.calendars import service as calendars
from rapport.config import get_settings
from rapport.conversations import repository as conversations
from rapport.conversations import service as conversation_service
from rapport.events.outbox import record
from rapport.kernel.permissions import RANK, SYSTEM, Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Forbidden, Invalid, NotFound
from rapport.models import (
    Attachment,
    Conversation,
    Message,
    PlaybookRun,
    PlaybookStep,
    PlaybookTemplate,
    PlaybookVersion,
)
from rapport.models.enums import Direction, Role
from rapport.playbooks import events, templates
from rapport.sla import calendars as sla_calendars
from rapport.sla import core as business
from rapport.sla import repository as sla_clocks
from rapport.worker import scheduler

DUE_JOB = "playbook.step_due"
RUNNING, COMPLETED, CANCELLED = "running", "completed", "cancelled"
OPEN, DONE, SKIPPED = "open", "done", "skipped"


def _job_key(step_id: int) -> str:
    return f"playbook_step:{step_id}"


def _by(actor: Actor) -> int | None:
    return actor.id if actor.kind == "agent" else None


def _calendar_version(session: Session, conversation_id: int, calendar_id: int | None, at: datetime) -> int | None:
    """The calendar version step due times count on: the conversation's response clock's, else the template's."""
    for clock in sla_clocks.history(session, conversation_id, limit=5):
        if clock.calendar_version_id is not None:
            return clock.calendar_version_id
    if calendar_id is not None:
        found = calendars.version_at(session, calendar_id, at) or calendars.latest(session, calendar_id)
        return found.id
    return None


def _after(session: Session, run: PlaybookRun, start: datetime, seconds: int) -> datetime:
    calendar = None
    if run.calendar_version_id is not None:
        calendar = sla_calendars.by_version(session, [run.calendar_version_id]).get(run.calendar_version_id)
    return business.after(calendar, start, seconds)


def _set_due(session: Session, run: PlaybookRun, step: PlaybookStep, spec: dict, start: datetime) -> None:
    if spec.get("offset_seconds") is None:
        return
    step.due_at = _after(session, run, start, spec["offset_seconds"])
    scheduler.schedule(session, DUE_JOB, _job_key(step.id), step.due_at, {"step_id": step.id})


def _event(session: Session, name: str, actor: Actor, run: PlaybookRun, version: PlaybookVersion, **payload) -> None:
    """Record a run's event (a step's when `position` is given) on the conversation's timeline."""
    if "position" not in payload:
        payload["version"] = version.number
    record(session, name, actor, conversation_id=run.conversation_id, run_id=run.id, template_id=run.template_id,
           playbook=templates.get(session, run.template_id).name, **payload)  # fmt: skip


def start(
    session: Session, conversation_id: int, template_id: int, *, by: Actor, reason: str = "", at: datetime | None = None
) -> PlaybookRun:
    """Start a template's newest version on a conversation (by hand, by a rule or a macro); the running one when the
    template already runs there. `at` (the system only: loading history, the demo) dates the start in the past."""
    authorize(by, "conversations.write")
    conv = conversations.get(session, conversation_id)  # NotFound names the conversation
    template = templates.get(session, template_id)
    if not template.active:
        raise Conflict(f"The playbook '{template.name}' is switched off.", errors=[{"field": "template_id"}])
    if len(reason) > 200:
        raise Invalid("A reason has at most 200 characters.", errors=[{"field": "reason"}])
    running = runs_of(session, conv.id, states=(RUNNING,))
    for run in running:
        if run.template_id == template_id:
            return run
    cap = get_settings().playbook_max_running
    if len(running) >= cap:
        raise Conflict(
            f"Conversation #{conv.id} runs {cap} playbooks already (RAPPORT_PLAYBOOK_MAX_RUNNING).",
            errors=[{"field": "template_id"}],
        )
    version = templates.latest(session, template_id)
    stamp = at if at is not None and by.kind == "system" else now()
    run = PlaybookRun(
        conversation_id=conv.id, template_id=template_id, version_id=version.id, state=RUNNING,
        blocks_solve=version.blocks_solve, reason=reason,
        calendar_version_id=_calendar_version(session, conv.id, version.calendar_id, stamp),
        started_by_id=_by(by), started_at=stamp, updated_at=stamp,
    )  # fmt: skip
    session.add(run)
    session.flush()
    steps = [
        PlaybookStep(run_id=run.id, conversation_id=conv.id, position=i, state=OPEN, updated_at=stamp)
        for i in range(len(version.steps))
    ]
    session.add_all(steps)
    session.flush()
    for i, (step, spec) in enumerate(zip(steps, version.steps, strict=True)):
        if spec.get("offset_from") == "start" or i == 0:
            _set_due(session, run, step, spec, stamp)
    _event(session, events.STARTED.name, by, run, version, reason=reason)
    return run


def runs_of(session: Session, conversation_id: int, *, states: tuple[str, ...] | None = None) -> list[PlaybookRun]:
    """A conversation's runs, oldest first (`states` narrows them)."""
    query = select(PlaybookRun).where(PlaybookRun.conversation_id == conversation_id)
    if states:
        query = query.where(PlaybookRun.state.in_(states))
    return list(session.scalars(query.order_by(PlaybookRun.id)))


def running_among(session: Session, conversation_ids: set[int]) -> set[int]:
    """Which of the conversations have a running playbook (one statement, on ix_playbook_runs_conversation)."""
    if not conversation_ids:
        return set()
    query = select(PlaybookRun.conversation_id).where(
        PlaybookRun.conversation_id.in_(sorted(conversation_ids)), PlaybookRun.state == RUNNING
    )
    return set(session.scalars(query.distinct()))


def steps_of(session: Session, run_ids: list[int]) -> dict[int, list[PlaybookStep]]:
    """The steps of some runs, in order."""
    found: dict[int, list[PlaybookStep]] = {i: [] for i in run_ids}
    if run_ids:
        query = select(PlaybookStep).where(PlaybookStep.run_id.in_(run_ids)).order_by(PlaybookStep.position)
        for step in session.scalars(query):
            found[step.run_id].append(step)
    return found


def get_run(session: Session, run_id: int, *, lock: bool = False) -> PlaybookRun:
    """One run; NotFound naming it."""
    query = select(PlaybookRun).where(PlaybookRun.id == run_id)
    run = session.scalar(query.with_for_update() if lock else query)
    if run is None:
        raise NotFound(f"Playbook run #{run_id} does not exist.")
    return run


def _running(session: Session, run_id: int) -> tuple[PlaybookRun, PlaybookVersion, list[PlaybookStep]]:
    run = get_run(session, run_id, lock=True)
    if run.state != RUNNING:
        raise Conflict(f"Playbook run #{run.id} is {run.state}; its steps cannot change.")
    return run, session.get(PlaybookVersion, run.version_id), steps_of(session, [run.id])[run.id]


def _step(steps: list[PlaybookStep], position: int) -> PlaybookStep:
    if not 0 <= position < len(steps):
        raise NotFound(f"The playbook has no step {position + 1}.")
    step = steps[position]
    if step.state != OPEN:
        raise Conflict(f"Step {position + 1} is {step.state} already.")
    return step


def may_work(actor: Actor, conv: Conversation, spec: dict) -> bool:
    """Whether `actor` may complete or skip a step the template gives to `spec`'s owner."""
    if actor.kind == "system":
        return True
    if not actor.can("conversations.write"):
        return False
    if actor.role is not None and RANK[actor.role] >= RANK[Role.supervisor]:
        return True
    if spec.get("owner") == "team":
        return spec.get("team_id") in actor.team_ids
    if spec.get("owner") == "role":
        return actor.role is not None and RANK[actor.role] >= RANK[Role(spec["role"])]
    return conv.assignee_id in (None, actor.id)


def _owner_check(actor: Actor, conv: Conversation, spec: dict, position: int) -> None:
    authorize(actor, "conversations.write")
    if not may_work(actor, conv, spec):
        owner = {"team": "its team", "role": f"the role '{spec.get('role')}'"}.get(spec.get("owner"), "the assignee")
        raise Forbidden(f"Step {position + 1} belongs to {owner} (or a supervisor).")


def _evidence(
    session: Session, conv: Conversation, spec: dict, position: int, message_id: int | None, attachment_id: int | None
) -> dict | None:
    """The evidence the step needs, checked against this conversation; Invalid naming what is missing."""
    kind = spec.get("evidence", "none")
    if kind == "note":
        message = session.get(Message, message_id) if message_id else None
        if message is None or message.conversation_id != conv.id or message.direction != Direction.note:
            raise Invalid(f"Step {position + 1} needs a note on this conversation as evidence.",
                          errors=[{"field": "message_id", "message": "a note of this conversation"}])  # fmt: skip
        return {"kind": "note", "message_id": message.id}
    if kind == "attachment":
        found = session.execute(
            select(Attachment.id, Message.conversation_id)
            .join(Message, Message.id == Attachment.message_id)
            .where(Attachment.id == (attachment_id or 0))
        ).first()
        if found is None or found.conversation_id != conv.id:
            raise Invalid(
                f"Step {position + 1} needs an attachment of this conversation as evidence.",
                errors=[{"field": "attachment_id", "message": "an attachment of this conversation"}],
            )
        return {"kind": "attachment", "attachment_id": found.id}
    if kind == "field":
        key = spec.get("field")
        value = (conv.custom_fields or {}).get(key)
        if value in (None, "", []):
            raise Invalid(f"Step {position + 1} needs the field '{key}' filled in on the conversation.",
                          errors=[{"field": "field", "message": f"'{key}' is empty"}])  # fmt: skip
        return {"kind": "field", "key": key, "value": value}
    return None


def complete_step(
    session: Session,
    actor: Actor,
    run_id: int,
    position: int,
    *,
    message_id: int | None = None,
    attachment_id: int | None = None,
    note: str | None = None,
) -> PlaybookStep:
    """Mark a step done with the evidence it needs (`note`: write that note now and use it)."""
    run, version, steps = _running(session, run_id)
    step = _step(steps, position)
    spec = version.steps[position]
    conv = conversations.get(session, run.conversation_id)
    _owner_check(actor, conv, spec, position)
    if note is not None and spec.get("evidence") == "note":
        if not note.strip():
            raise Invalid("The note is empty.", errors=[{"field": "note", "message": "write the note"}])
        message_id = conversation_service.add_note(session, actor, conv.id, text=note).id
    proof = _evidence(session, conv, spec, position, message_id, attachment_id)
    _end(session, actor, run, version, steps, step, state=DONE, evidence=proof)
    return step


def customer_step(
    session: Session,
    actor: Actor,
    run: PlaybookRun,
    version: PlaybookVersion,
    steps: list[PlaybookStep],
    step: PlaybookStep,
    message_id: int,
) -> None:
    """A "wait for customer" step done by the customer's message, which is its evidence."""
    _end(session, actor, run, version, steps, step, state=DONE, evidence={"kind": "message", "message_id": message_id})


def skip_step(session: Session, actor: Actor, run_id: int, position: int, *, reason: str) -> PlaybookStep:
    """Skip an optional step, saying why; a required step is never skipped."""
    run, version, steps = _running(session, run_id)
    step = _step(steps, position)
    spec = version.steps[position]
    _owner_check(actor, conversations.get(session, run.conversation_id), spec, position)
    if spec.get("required", True):
        raise Conflict(f"Step {position + 1} is required: it cannot be skipped.", errors=[{"field": "position"}])
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Invalid("Skipping a step needs a reason of 1 to 500 characters.", errors=[{"field": "reason"}])
    _end(session, actor, run, version, steps, step, state=SKIPPED, reason=reason)
    return step


def _end(session, actor, run, version, steps, step, *, state: str, evidence=None, reason: str = "") -> None:
    stamp = now()
    step.state, step.updated_at = state, stamp
    if state == DONE:
        step.done_at, step.done_by_id, step.evidence = stamp, _by(actor), evidence
    else:
        step.skip_reason = reason
    scheduler.cancel(session, _job_key(step.id))
    spec = version.steps[step.position]
    name = events.STEP_COMPLETED.name if state == DONE else events.STEP_SKIPPED.name
    _event(session, name, actor, run, version, position=step.position, title=spec["title"],
           evidence=(evidence or {}).get("kind"), reason=reason)  # fmt: skip
    following = step.position + 1
    # The next step's clock starts now when the template counts it from the step before.
    if (
        following < len(steps)
        and version.steps[following].get("offset_from") == "previous"
        and steps[following].state == OPEN
        and steps[following].due_at is None
    ):
        _set_due(session, run, steps[following], version.steps[following], stamp)
    if all(s.state != OPEN for s in steps):
        run.state, run.ended_at, run.ended_by_id, run.updated_at = COMPLETED, stamp, _by(actor), stamp
        _event(session, events.COMPLETED.name, actor, run, version)
    else:
        run.updated_at = stamp


def cancel(session: Session, actor: Actor, run_id: int, *, reason: str) -> PlaybookRun:
    """Stop a running playbook, saying why; its open steps' due times are dropped."""
    authorize(actor, "conversations.write")
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Invalid("Cancelling a playbook needs a reason of 1 to 500 characters.", errors=[{"field": "reason"}])
    run, version, steps = _running(session, run_id)
    stamp = now()
    for step in steps:
        if step.state == OPEN:
            scheduler.cancel(session, _job_key(step.id))
    run.state, run.ended_at, run.ended_by_id, run.cancel_reason, run.updated_at = (
        CANCELLED, stamp, _by(actor), reason, stamp
    )  # fmt: skip
    _event(session, events.CANCELLED.name, actor, run, version, reason=reason)
    return run


def close_with_conversation(session: Session, conversation_id: int) -> int:
    """Cancel the playbooks still running on a conversation that was closed (nothing is left to do on it, and its
    overdue steps leave the supervisor board); how many were cancelled."""
    running = runs_of(session, conversation_id, states=(RUNNING,))
    for run in running:
        cancel(session, SYSTEM, run.id, reason="the conversation was closed")
    return len(running)


def override(session: Session, actor: Actor, run_id: int, *, reason: str) -> PlaybookRun:
    """Let the conversation be solved with this run's required steps open (supervisors, reason required)."""
    authorize(actor, "playbooks.override")
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Invalid("An override needs a reason of 1 to 500 characters.", errors=[{"field": "reason"}])
    run, version, _ = _running(session, run_id)
    if run.override_at is not None:
        return run
    stamp = now()
    run.override_by_id, run.override_at, run.override_reason, run.updated_at = _by(actor), stamp, reason, stamp
    _event(session, events.OVERRIDDEN.name, actor, run, version, reason=reason)
    return run


def blocking(session: Session, conversation_id: int) -> list[tuple[str, list[str]]]:
    """The running playbooks that keep a conversation from being solved: (name, titles of open required steps)."""
    runs = [r for r in runs_of(session, conversation_id, states=(RUNNING,)) if r.blocks_solve and not r.override_at]
    found = []
    steps = steps_of(session, [r.id for r in runs])
    for run in runs:
        version = session.get(PlaybookVersion, run.version_id)
        open_required = [
            version.steps[s.position]["title"]
            for s in steps[run.id]
            if s.state == OPEN and version.steps[s.position].get("required", True)
        ]
        if open_required:
            found.append((templates.get(session, run.template_id).name, open_required))
    return found


def fire_overdue(session: Session, step_id: int, at: datetime | None = None) -> bool:
    """Record that a step is overdue, once, if it is still open past its due time; True when it was recorded."""
    at = at or now()
    step = session.scalar(select(PlaybookStep).where(PlaybookStep.id == step_id).with_for_update())
    if step is None or step.state != OPEN or step.overdue_at is not None or step.due_at is None or step.due_at > at:
        return False
    run = session.get(PlaybookRun, step.run_id)
    if run.state != RUNNING:
        return False
    version = session.get(PlaybookVersion, run.version_id)
    step.overdue_at, step.updated_at = at, at
    _event(session, events.STEP_OVERDUE.name, SYSTEM, run, version, position=step.position,
           title=version.steps[step.position]["title"], due_at=step.due_at.isoformat())  # fmt: skip
    return True


_OVERDUE = (PlaybookStep.state == OPEN) & PlaybookStep.overdue_at.is_not(None)  # ix_playbook_steps_overdue


def overdue(session: Session, actor: Actor, *, limit: int) -> dict:
    """Open overdue steps, longest overdue first, read through their partial index (supervisors): an OverduePage."""
    authorize(actor, "supervisor.console")
    cap = get_settings().inbox_count_cap
    capped = select(PlaybookStep.id).where(_OVERDUE).limit(cap + 1).subquery()
    count = session.scalar(select(func.count()).select_from(capped))
    query = (
        select(
            PlaybookStep.id, PlaybookStep.run_id, PlaybookStep.conversation_id, PlaybookStep.position,
            PlaybookStep.due_at, PlaybookStep.overdue_at, Conversation.subject, PlaybookTemplate.name,
            PlaybookVersion.steps,
        )
        .join(PlaybookRun, PlaybookRun.id == PlaybookStep.run_id)
        .join(PlaybookVersion, PlaybookVersion.id == PlaybookRun.version_id)
        .join(PlaybookTemplate, PlaybookTemplate.id == PlaybookRun.template_id)
        .join(Conversation, Conversation.id == PlaybookStep.conversation_id)
        .where(_OVERDUE)
        .order_by(PlaybookStep.overdue_at, PlaybookStep.id)
        .limit(limit)
    )  # fmt: skip
    items = [
        {
            "step_id": r.id,
            "run_id": r.run_id,
            "conversation_id": r.conversation_id,
            "subject": r.subject,
            "name": r.name,
            "position": r.position,
            "title": r.steps[r.position]["title"],
            "due_at": r.due_at,
            "overdue_at": r.overdue_at,
        }  # fmt: skip
        for r in session.execute(query)
    ]
    return {"count": min(count, cap), "more": count > cap, "items": items}
