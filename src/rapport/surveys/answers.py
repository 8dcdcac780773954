"""Answering by link: which request a link is for (refused when forged, used, expired or withdrawn), and recording
the answers (each bounded and on its question's scale; a re-answer within the window updates the same rows)."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.customers import service as customers
from rapport.customers.identities import normalise
from rapport.kernel.permissions import SYSTEM
from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.html import sanitize, to_text
from rapport.kit.problems import Invalid, Problem, TooManyRequests
from rapport.kit.secrets import new_token, token_hash
from rapport.models import Customer, SurveyAnswer, SurveyRequest, SurveyVersion
from rapport.surveys import events, questions
from rapport.surveys.schedule import ANSWERED, EXPIRED, OPT_OUT, SENT, WITHDRAWN, _record, withdraw_for


class LinkRefused(Problem):
    """A survey link that records nothing: `state` says why (invalid, used, expired, closed)."""

    status, title, slug = 410, "This survey link cannot be used", "survey-link-refused"

    def __init__(self, state: str):
        super().__init__(
            {
                "invalid": "This link is not valid. It may have been copied incompletely.",
                "used": "This link was already used to answer; your answer is saved.",
                "expired": "This survey has closed: its link has expired.",
                "closed": "This survey was withdrawn: the conversation was reopened, or no more surveys were wanted.",
            }[state],
            state=state,
        )
        self.state = state


@dataclass(frozen=True)
class Opened:
    """A request a link opened, with the version that asks its questions."""

    request: SurveyRequest
    version: SurveyVersion


def open_link(session: Session, request_id: int, token: str, *, lock: bool = False) -> Opened:
    """The request `token` is the live link of; LinkRefused (nothing recorded) otherwise."""
    if not token or len(token) > 100:
        raise LinkRefused("invalid")
    query = select(SurveyRequest).where(SurveyRequest.id == request_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise LinkRefused("invalid")
    given = token_hash(token)
    if row.token_hash is None or not hmac.compare_digest(row.token_hash, given):
        if row.spent_hash and hmac.compare_digest(row.spent_hash, given):
            raise LinkRefused("used")
        raise LinkRefused("invalid")
    if row.state == WITHDRAWN:
        raise LinkRefused("closed")
    if row.state == EXPIRED or row.expires_at is None or row.expires_at <= now():
        raise LinkRefused("expired")
    if row.state not in (SENT, ANSWERED):
        raise LinkRefused("invalid")
    return Opened(row, session.get(SurveyVersion, row.version_id))


def answer_keys(client: str) -> tuple[ratelimit.Key, ...]:
    """The budget of answers one client address may send."""
    limit = get_settings().survey_answers_per_client_per_hour
    return (
        ratelimit.Key(
            "survey:answer", client or "unknown", limit, "RAPPORT_SURVEY_ANSWERS_PER_CLIENT_PER_HOUR",
            "survey answers from your address",
        ),
    )  # fmt: skip


def _text(value: str, field: str) -> str | None:
    limit = get_settings().survey_text_max_chars
    if len(value) > limit:
        raise Invalid(
            f"A comment holds at most {limit} characters (RAPPORT_SURVEY_TEXT_MAX_CHARS).", errors=[{"field": field}]
        )
    # Stored as plain text with scripts and markup removed; pages escape it again when they show it.
    clean = to_text(sanitize(value)).strip()
    return clean or None


def parse(version: SurveyVersion, form: dict[str, str]) -> dict[str, dict]:
    """Each answered question's stored values from the form (`q_<key>`, and `q_<key>_reason` for NPS)."""
    out: dict[str, dict] = {}
    for q in version.questions:
        key, kind, field = q["key"], q["kind"], f"q_{q['key']}"
        raw = (form.get(field) or "").strip()
        if questions.scored(kind):
            if not raw:
                continue
            try:
                score = int(raw)
            except ValueError:
                raise Invalid(f"'{raw[:20]}' is not an answer to '{q['prompt']}'.", errors=[{"field": field}]) from None
            if not questions.in_range(kind, q.get("points"), score):
                raise Invalid(
                    f"{score} is not on the scale of '{q['prompt']}'.", errors=[{"field": field}], score=score
                )
            text = _text(form.get(f"{field}_reason") or "", f"{field}_reason") if kind == questions.NPS else None
            out[key] = {"kind": kind, "score": score, "choice": questions.choice_of(kind, score), "text": text}
        elif kind == questions.REASON:
            if not raw:
                continue
            if raw not in q.get("options", []):
                raise Invalid(f"'{raw[:100]}' is not one of the reasons offered.", errors=[{"field": field}])
            out[key] = {"kind": kind, "score": None, "choice": raw, "text": None}
        else:
            text = _text(form.get(field) or "", field)
            if text:
                out[key] = {"kind": kind, "score": None, "choice": None, "text": text}
    if not out:
        raise Invalid("Choose an answer before sending.", errors=[{"field": f"q_{version.questions[0]['key']}"}])
    return out


def _store(session: Session, row: SurveyRequest, values: dict[str, dict]) -> None:
    """Write the answers (a question answered before is updated), mark the request answered, record the event."""
    stamp = now()
    first = row.state == SENT
    existing = {
        a.question: a
        for a in session.scalars(
            select(SurveyAnswer).where(SurveyAnswer.request_id == row.id, SurveyAnswer.question.in_(list(values)))
        )
    }
    for key, v in values.items():
        answer = existing.get(key)
        if answer is None:
            session.add(SurveyAnswer(request_id=row.id, question=key, created_at=stamp, updated_at=stamp, **v))
        else:
            answer.kind, answer.score, answer.choice, answer.text, answer.updated_at = (
                v["kind"], v["score"], v["choice"], v["text"], stamp,
            )  # fmt: skip
    row.state, row.answered_at, row.updated_at = ANSWERED, stamp, stamp
    session.flush()
    _record(
        session, events.ANSWERED.name, row,
        scores={k: v["score"] for k, v in values.items() if v["score"] is not None},
        choices={k: v["choice"] for k, v in values.items() if v["choice"] is not None},
        commented=any(v["text"] for v in values.values()), first=first,
    )  # fmt: skip


def record_answers(session: Session, request_id: int, token: str, form: dict[str, str], *, client: str) -> str:
    """Check the link and the answers, then store them (a re-answer updates); the new link of the thanks page.

    The link used is spent: its hash moves to `spent_hash`, and the page's new link changes answers until the
    survey's window closes.
    """
    opened = open_link(session, request_id, token, lock=True)
    ratelimit.spend(session, *answer_keys(client))
    values = parse(opened.version, form)
    fresh = new_token("rsv")
    row = opened.request
    row.spent_hash, row.token_hash = token_hash(token), token_hash(fresh)
    _store(session, row, values)
    return fresh


def opt_out(session: Session, request_id: int, token: str, *, client: str) -> None:
    """The customer asks for no more surveys (from the page of a live link): their `surveys_opt_out` attribute is
    set, and their other unanswered surveys are withdrawn."""
    opened = open_link(session, request_id, token, lock=True)
    ratelimit.spend(session, *answer_keys(client))
    customer = session.get(Customer, opened.request.customer_id)
    customers.update_profile(session, SYSTEM, customer.id, attributes={**(customer.attributes or {}), OPT_OUT: True})
    others = session.scalars(
        select(SurveyRequest.conversation_id).where(
            SurveyRequest.customer_id == customer.id, SurveyRequest.state.in_(("scheduled", SENT))
        )
    )
    for conversation_id in set(others):
        withdraw_for(session, conversation_id, "the customer opted out of surveys")


# A text reply that is only a number ("4", " 4.", "10!"): read as an answer; anything else is an ordinary message.
NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.!]?\s*$")


def numeric_reply(text: str | None) -> int | None:
    """The number a text reply consists of, or None."""
    found = NUMBER.match(text or "")
    return int(found.group(1)) if found else None


def answer_by_text(session: Session, *, channel: str, address: str, text: str | None) -> bool:
    """Record an SMS or WhatsApp reply that is a point of the first question of the sender's open survey in that
    channel; False (nothing recorded) when it is not one, so the caller stores it as an ordinary message."""
    score = numeric_reply(text)
    if score is None:
        return False
    try:
        address = normalise("phone" if channel == "sms" else "whatsapp", address)
    except Invalid:
        return False
    row = session.scalar(
        select(SurveyRequest)
        .where(
            SurveyRequest.channel == channel, SurveyRequest.target == address,
            SurveyRequest.state.in_((SENT, ANSWERED)), SurveyRequest.expires_at > now(),
        )
        .order_by(SurveyRequest.sent_at.desc(), SurveyRequest.id.desc())
        .limit(1)
        .with_for_update()
    )  # fmt: skip
    if row is None:
        return False
    first = session.get(SurveyVersion, row.version_id).questions[0]
    if not questions.in_range(first["kind"], first.get("points"), score):
        return False
    try:
        ratelimit.spend(session, *answer_keys(f"{channel}:{address}"))
    except TooManyRequests:
        return False  # a flood from one number is kept as ordinary messages, where people see it
    values = {first["key"]: {"kind": first["kind"], "score": score, "choice": questions.choice_of(first["kind"], score),
                             "text": None}}  # fmt: skip
    _store(session, row, values)
    return True


def take_text_answer(db, *, channel: str, address: str, text: str | None) -> bool:
    """`answer_by_text` in its own short transaction (the channel's webhook calls it before storing a message)."""
    if numeric_reply(text) is None:
        return False
    with db.write() as session:
        return answer_by_text(session, channel=channel, address=address, text=text)
