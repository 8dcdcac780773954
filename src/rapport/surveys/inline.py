"""Answering in place, where the customer is already known (the chat widget's visitor token, the portal's sign-in,
the caller on the phone): the open survey of their conversations and its first question, answered with one tap.

The caller proves who the customer is; this module only ever looks at requests of the conversations it is given,
spends the same per-client answer budget as the link page, checks the score against the first question's scale
and records through the same store (a re-answer updates). The link the request had is spent, and a fresh one is
returned: the survey page for the rest of the questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, NotFound
from rapport.kit.secrets import new_token, token_hash
from rapport.models import Customer, SurveyAnswer, SurveyRequest, SurveyVersion
from rapport.surveys import questions
from rapport.surveys.answers import _store, answer_keys
from rapport.surveys.schedule import ANSWERED, SENT


@dataclass(frozen=True)
class Open:
    """An open survey request as a channel shows it: the first question, its points and the answer given so far."""

    request_id: int
    conversation_id: int
    key: str
    kind: str
    prompt: str
    points: list[dict]
    answered: int | None
    expires_at: datetime | None

    def shape(self) -> dict:
        """The JSON the widget and the portal read."""
        return {
            "request_id": self.request_id, "conversation_id": self.conversation_id, "question": self.key,
            "kind": self.kind, "prompt": self.prompt, "points": self.points, "answered": self.answered,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }  # fmt: skip


def _live(session: Session, *, conversation_ids: list[int] | None = None, customer_id: int | None = None):
    """Requests that are sent (or answered) and whose window is still open, of the given conversations or customer."""
    query = select(SurveyRequest).where(SurveyRequest.state.in_((SENT, ANSWERED)), SurveyRequest.expires_at > now())
    if conversation_ids:
        query = query.where(SurveyRequest.conversation_id.in_(conversation_ids))
    elif customer_id is not None:
        query = query.where(SurveyRequest.customer_id == customer_id)
    else:
        return []
    return list(session.scalars(query.order_by(SurveyRequest.sent_at.desc(), SurveyRequest.id.desc()).limit(20)))


def open_for(
    session: Session, *, conversation_ids: list[int] | None = None, customer_id: int | None = None
) -> list[Open]:
    """The open surveys of these conversations (or of this customer), newest first."""
    out = []
    for row in _live(session, conversation_ids=conversation_ids, customer_id=customer_id):
        asked = session.get(SurveyVersion, row.version_id).questions[0]
        first = questions.localised(
            asked, session.scalar(select(Customer.language).where(Customer.id == row.customer_id))
        )
        given = session.scalar(
            select(SurveyAnswer.score).where(SurveyAnswer.request_id == row.id, SurveyAnswer.question == first["key"])
        )
        points = [{"value": p.score, "label": p.label} for p in questions.points_of(first)]
        out.append(
            Open(row.id, row.conversation_id, first["key"], first["kind"], first["prompt"], points, given,
                 row.expires_at)
        )  # fmt: skip
    return out


def answer_first(
    session: Session,
    request_id: int,
    score: int,
    *,
    client: str,
    conversation_ids: list[int] | None = None,
    customer_id: int | None = None,
) -> str:
    """Record `score` for the first question of an open request of these conversations (or this customer); the
    fresh link token of the survey page. NotFound for any other request (no hint it exists)."""
    rows = [r for r in _live(session, conversation_ids=conversation_ids, customer_id=customer_id) if r.id == request_id]
    if not rows:
        raise NotFound(f"There is no open survey {request_id} here.")
    row = session.scalar(select(SurveyRequest).where(SurveyRequest.id == request_id).with_for_update())
    first = session.get(SurveyVersion, row.version_id).questions[0]
    if not questions.in_range(first["kind"], first.get("points"), score):
        raise Invalid(f"{score} is not on the scale of '{first['prompt']}'.", errors=[{"field": "score"}], score=score)
    ratelimit.spend(session, *answer_keys(client))
    fresh = new_token("rsv")
    # The link sent before is spent (following it says "answered already"); the fresh one opens the page.
    if row.token_hash:
        row.spent_hash = row.token_hash
    row.token_hash = token_hash(fresh)
    values = {first["key"]: {"kind": first["kind"], "score": score,
                             "choice": questions.choice_of(first["kind"], score), "text": None}}  # fmt: skip
    _store(session, row, values)
    return fresh
