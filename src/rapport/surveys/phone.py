"""The survey by the IVR keypad, right after a call a person answered: offered when the caller's queue ends bridged
(the agent hung up, the caller is still on the line), answered with the keypad (Twilio's <Gather> of digits).

The offer is decided like a solve's schedule (an active survey listing `phone`, the customer not opted out, the
conversation not marked "don't survey", sampling, cooldown, once per conversation), except that the call itself is
the person's reply. The request is recorded as sent (no link: the question is spoken) and expires by its rules;
until then the portal shows it too. The digits are answered through the same store as every channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kit.clock import now
from rapport.kit.problems import Invalid, NotFound, TooManyRequests
from rapport.models import Conversation, Customer, Survey, SurveyRequest, SurveyVersion
from rapport.surveys import events, inline, questions
from rapport.surveys.schedule import (
    EXPIRE,
    SENT,
    WITHDRAWN,
    _record,
    _skip,
    expire_key,
    held,
    opted_out,
)
from rapport.worker import scheduler

CHANNEL = "phone"


@dataclass(frozen=True)
class Spoken:
    """What the keypad survey asks: its request, the words, and how many digits an answer has."""

    request_id: int
    text: str
    digits: int


def words(first: dict) -> tuple[str, int]:
    """The spoken question (each point with its key) and the digits an answer needs (2 for NPS's 10)."""
    points = questions.points_of(first)
    if points[-1].score > 9:
        low, high = points[0], points[-1]
        return f"{first['prompt']} Enter a number from {low.score} to {high.score}, then press the hash key.", 2
    keys = " ".join(
        f"For {p.label}, press {p.score}." if p.label != str(p.score) else f"Press {p.score}." for p in points
    )
    return f"{first['prompt']} {keys}", 1


def offer(session: Session, conversation_id: int, caller: str) -> Spoken | None:
    """Open the keypad survey of a just-finished call (None when no survey applies)."""
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.merged_into_id is not None or not caller:
        return None
    if held(session, conv.id) is not None or opted_out(session.get(Customer, conv.customer_id)):
        return None
    found = session.execute(
        select(Survey, SurveyVersion)
        .join(SurveyVersion, SurveyVersion.id == Survey.current_version_id)
        .where(Survey.active.is_(True))
        .order_by(Survey.id)
    ).all()
    stamp = now()
    for survey, version in found:
        rules = version.rules
        if CHANNEL not in rules.get("channels", []):
            continue
        existing = session.scalar(
            select(SurveyRequest).where(SurveyRequest.conversation_id == conv.id, SurveyRequest.survey_id == survey.id)
        )
        if existing is not None and (existing.state != WITHDRAWN or existing.sent_at is not None):
            continue
        # The call was answered by a person and is the conversation's substance: those two rules do not apply.
        relaxed = {**rules, "min_messages": 0, "require_person_reply": False, "channels": [conv.channel]}
        if _skip(session, conv, relaxed, survey.id, stamp) is not None:
            continue
        row = existing or SurveyRequest(survey_id=survey.id, conversation_id=conv.id, created_at=stamp)
        row.version_id, row.customer_id, row.channel, row.target = version.id, conv.customer_id, CHANNEL, caller[:320]
        row.state, row.reason, row.token_hash, row.sent_at, row.updated_at = SENT, "", None, stamp, stamp
        row.expires_at = row.due_at = stamp + timedelta(days=int(rules.get("expiry_days", 7)))
        if existing is None:
            session.add(row)
        session.flush()
        scheduler.schedule(session, EXPIRE, expire_key(row.id), row.expires_at, {"request_id": row.id})
        _record(session, events.SENT.name, row)
        language = session.get(Customer, conv.customer_id).language
        text, digits = words(questions.localised(version.questions[0], language))
        return Spoken(row.id, text, digits)
    return None


def answer(session: Session, conversation_id: int, request_id: int, digits: str | None, caller: str) -> bool:
    """Record the keypad answer to the call's survey; False (nothing recorded) when it is not one of its points."""
    raw = (digits or "").strip().rstrip("#")
    if not raw.isdigit() or len(raw) > 2:
        return False
    try:
        inline.answer_first(session, request_id, int(raw), client=f"phone:{caller}", conversation_ids=[conversation_id])
    except (Invalid, NotFound, TooManyRequests):
        return False
    return True
