"""The demo's kudos and follow-ups, derived from its months of survey answers as the recognition consumer would
have made them: kudos for each agent who took part in a positive answer's conversation, a recovery follow-up for
each unhappy answer (done with a reason code and an outcome, except the last two weeks' which are still open), a
thank-you task for each "exceeded". History, so no events: like the answers themselves, it was before the demo."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from rapport.config import get_settings
from rapport.db.session import Database
from rapport.kit.clock import now
from rapport.models import (
    Attribution,
    Conversation,
    FollowUp,
    Kudos,
    Message,
    SurveyAnswer,
    SurveyRequest,
    SurveyVersion,
)
from rapport.models.enums import AuthorKind, Direction
from rapport.recognition import followups
from rapport.recognition.attribution import Involved, lead_of
from rapport.recognition.classify import FOLLOWUP_SIGNALS, POSITIVE, THANKS_SIGNALS, Verdict, read
from rapport.worker import scheduler

OPEN_DAYS = 14
OUTCOMES = {
    "slow_response": "Called; apologised for the wait and explained the new morning rota.",
    "wrong_answer": "Called back with the right answer; the customer is sorted now.",
    "product_issue": "Logged the defect with the product team and sent a replacement.",
    "policy": "Explained the policy and offered a goodwill voucher.",
    "agent_manner": "Apologised; coached the agent on tone in our one-to-one.",
    "expectation_gap": "Explained what to expect next time; the customer was happy with that.",
    "other": "Left a voicemail and followed up by email.",
}
THANKS_OUTCOMES = ("Sent a handwritten card.", "Replied with a personal thank-you.", "Called to say thanks.")


def _involved(s, request_ids: list[int]) -> dict[int, list[Involved]]:
    """Per conversation of the answered requests: who replied (the last responder marked) and the assignee."""
    rows = s.execute(
        select(Message.conversation_id, Message.agent_id, func.max(Message.id))
        .join(SurveyRequest, SurveyRequest.conversation_id == Message.conversation_id)
        .where(SurveyRequest.answered_at.is_not(None), Message.direction == Direction.outbound,
               Message.author_kind == AuthorKind.agent, Message.agent_id.is_not(None))
        .group_by(Message.conversation_id, Message.agent_id)
    ).all()  # fmt: skip
    out: dict[int, dict[int, tuple[Involved, int]]] = {}
    for conv_id, agent_id, last_id in rows:
        out.setdefault(conv_id, {})[agent_id] = (Involved(agent_id, replied=True), last_id)
    people = {}
    for conv_id, agents in out.items():
        last = max(agents.values(), key=lambda pair: pair[1])[0]
        last.last_responder = True
        people[conv_id] = [p for p, _ in agents.values()]
    return people


def _with_assignee(replied: list[Involved], assignee_id: int | None) -> list[Involved]:
    involved = [Involved(p.agent_id, p.replied, False, p.last_responder) for p in replied]
    if assignee_id is not None:
        found = next((p for p in involved if p.agent_id == assignee_id), None)
        if found is None:
            involved.append(Involved(assignee_id, assignee=True))
        else:
            found.assignee = True
    return involved


def _attribution(r, p: Involved, classification: str) -> dict:
    return {
        "request_id": r.id, "agent_id": p.agent_id, "conversation_id": r.conversation_id, "team_id": r.team_id,
        "replied": p.replied, "assignee": p.assignee, "last_responder": p.last_responder,
        "classification": classification, "updated_at": r.answered_at,
    }  # fmt: skip


def _kudos(r, agent_id: int, verdict: Verdict) -> dict:
    return {
        "request_id": r.id, "agent_id": agent_id, "team_id": r.team_id, "conversation_id": r.conversation_id,
        "customer_id": r.customer_id, "summary": verdict.summary, "comment": verdict.comment,
        "created_at": r.answered_at, "updated_at": r.answered_at,
    }  # fmt: skip


def _task(r, kind: str, owner: int | None, verdict: Verdict, cutoff: datetime, rng: random.Random) -> dict:
    """A follow-up as it stands now: open when answered within the last two weeks, else done by its owner."""
    settings, at = get_settings(), r.answered_at
    recovery = kind == followups.RECOVERY
    minutes = settings.followup_due_minutes if recovery else settings.thanks_due_minutes
    signals = (
        [x for x in verdict.negative if x in FOLLOWUP_SIGNALS]
        if recovery
        else sorted(THANKS_SIGNALS & set(verdict.positive))
    )
    task = {
        "request_id": r.id, "conversation_id": r.conversation_id, "customer_id": r.customer_id, "team_id": r.team_id,
        "summary": verdict.summary, "calendar_version_id": None, "created_at": at, "kind": kind, "owner_id": owner,
        "signals": signals, "due_at": at + timedelta(minutes=minutes), "reason_code": "", "outcome": "",
        "state": followups.OPEN, "done_by_id": None, "done_at": None, "updated_at": at,
    }  # fmt: skip
    if at < cutoff:
        done = at + timedelta(minutes=rng.randint(30, 2 * minutes))
        code = rng.choice(list(OUTCOMES)) if recovery else ""
        outcome = OUTCOMES[code] if recovery else rng.choice(THANKS_OUTCOMES)
        task.update(state=followups.DONE, reason_code=code, outcome=outcome, done_by_id=owner, done_at=done,
                    updated_at=done)  # fmt: skip
    return task


def ensure_recognition(db: Database, *, seed: int = 31) -> bool:
    """Add kudos and follow-ups for the demo's past answers unless there are some; True when they were added."""
    rng = random.Random(seed)
    settings = get_settings()
    with db.write() as s:
        if s.scalar(select(Kudos.id).limit(1)) is not None or s.scalar(select(FollowUp.id).limit(1)) is not None:
            return False
        requests = s.execute(
            select(SurveyRequest.id, SurveyRequest.conversation_id, SurveyRequest.customer_id,
                   SurveyRequest.version_id, SurveyRequest.answered_at, Conversation.team_id, Conversation.assignee_id)
            .join(Conversation, Conversation.id == SurveyRequest.conversation_id)
            .where(SurveyRequest.answered_at.is_not(None))
            .order_by(SurveyRequest.id)
        ).all()  # fmt: skip
        if not requests:
            return False
        questions = dict(s.execute(select(SurveyVersion.id, SurveyVersion.questions)).all())
        answers: dict[int, list] = {}
        for a in s.scalars(
            select(SurveyAnswer).join(SurveyRequest, SurveyRequest.id == SurveyAnswer.request_id)
            .where(SurveyRequest.answered_at.is_not(None))
        ):  # fmt: skip
            answers.setdefault(a.request_id, []).append(a)
        people = _involved(s, [r.id for r in requests])
        leads: dict[int | None, int | None] = {}
        cutoff = now() - timedelta(days=OPEN_DAYS)
        attributions, kudos, tasks = [], [], []
        for r in requests:
            verdict = read(
                questions[r.version_id], answers.get(r.id, []), comment_limit=settings.kudos_comment_max_chars
            )
            involved = _with_assignee(people.get(r.conversation_id, []), r.assignee_id)
            for p in involved:
                attributions.append(_attribution(r, p, verdict.classification))
                if verdict.classification == POSITIVE:
                    kudos.append(_kudos(r, p.agent_id, verdict))
            if any(x in FOLLOWUP_SIGNALS for x in verdict.negative):
                if r.team_id not in leads:
                    leads[r.team_id] = lead_of(s, r.team_id)
                tasks.append(_task(r, followups.RECOVERY, leads[r.team_id], verdict, cutoff, rng))
            thanked = next((p.agent_id for p in involved if p.last_responder), r.assignee_id)
            if verdict.thanks and thanked is not None:
                tasks.append(_task(r, followups.THANKS, thanked, verdict, cutoff, rng))
        for model, rows in ((Attribution, attributions), (Kudos, kudos), (FollowUp, tasks)):
            if rows:
                s.execute(insert(model), rows)
        for row_id, due in s.execute(select(FollowUp.id, FollowUp.due_at).where(FollowUp.state == followups.OPEN)):
            scheduler.schedule(s, followups.OVERDUE_JOB, followups.job_key(row_id), due, {"followup_id": row_id})
    return True
