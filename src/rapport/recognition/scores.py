"""A customer's past survey answers across channels, read as recognition reads them (for the customer's profile)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.models import SurveyAnswer, SurveyRequest, SurveyVersion
from rapport.recognition.classify import read

LIMIT = 20


@dataclass
class PastAnswer:
    """One answered survey: when, in which channel, for which conversation, what it said and how it reads."""

    request_id: int
    conversation_id: int
    channel: str
    answered_at: datetime
    summary: str
    classification: str
    comment: str


def past_answers(session: Session, actor: Actor, customer_ids: list[int], *, limit: int = LIMIT) -> list[PastAnswer]:
    """The customers' latest answered surveys, newest first (three queries however many)."""
    authorize(actor, "customers.read")
    requests = list(
        session.scalars(
            select(SurveyRequest)
            .where(SurveyRequest.customer_id.in_(customer_ids), SurveyRequest.answered_at.is_not(None))
            .order_by(SurveyRequest.answered_at.desc(), SurveyRequest.id.desc())
            .limit(limit)
        )
    )
    if not requests:
        return []
    versions = {
        v.id: v
        for v in session.scalars(select(SurveyVersion).where(SurveyVersion.id.in_({r.version_id for r in requests})))
    }
    answers: dict[int, list] = {r.id: [] for r in requests}
    for a in session.scalars(select(SurveyAnswer).where(SurveyAnswer.request_id.in_(list(answers)))):
        answers[a.request_id].append(a)
    chars = get_settings().kudos_comment_max_chars
    out = []
    for r in requests:
        verdict = read(versions[r.version_id].questions, answers[r.id], comment_limit=chars)
        out.append(PastAnswer(r.id, r.conversation_id, r.channel, r.answered_at, verdict.summary or "no score",
                              verdict.classification, verdict.comment))  # fmt: skip
    return out
