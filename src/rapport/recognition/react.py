"""The closed loop's reaction to an answer, run by an event consumer after the answer committed (never inside the
customer's request): attribution, kudos and follow-ups made to match what the answer says now. Handing it the same
answer again (a re-answer, a replay) updates them; nothing is duplicated."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.events.typed import Consumer, Delivered
from rapport.kit.clock import now
from rapport.models import Conversation, SurveyAnswer, SurveyRequest, SurveyVersion
from rapport.recognition import attribution, followups, kudos
from rapport.recognition.classify import Verdict, read
from rapport.surveys import events as survey_events
from rapport.worker.runner import handler

recognition = Consumer("recognition")


def react(session: Session, request_id: int) -> Verdict | None:
    """Bring the request's attribution, kudos and follow-ups in line with its answers; its verdict (None: gone)."""
    req = session.get(SurveyRequest, request_id)
    conv = session.get(Conversation, req.conversation_id) if req is not None else None
    if req is None or conv is None or req.answered_at is None:
        return None
    version = session.get(SurveyVersion, req.version_id)
    answers = list(session.scalars(select(SurveyAnswer).where(SurveyAnswer.request_id == req.id)))
    verdict = read(version.questions, answers, comment_limit=get_settings().kudos_comment_max_chars)
    people = attribution.involved(session, conv)
    stamp = now()
    attribution.store(session, req, conv, people, verdict.classification, stamp)
    kudos.sync(session, req, conv, people, verdict, stamp)
    followups.sync(session, req, conv, people, verdict, stamp)
    return verdict


@recognition.on(survey_events.ANSWERED)
def answered(session: Session, event: Delivered[survey_events.Answered]) -> None:
    """A customer answered (or changed their answers): react to what the answers say now."""
    react(session, event.payload.request_id)


@handler(followups.OVERDUE_JOB)
def overdue(session: Session, payload: dict) -> None:
    """A follow-up's due time has come."""
    followups.fire_overdue(session, payload["followup_id"])
