"""The signed-in customer's open surveys in the portal: shown on their conversations, the first question answered
in place with one tap (the session's CSRF token, the per-client answer budget), the rest on the survey page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.channels.portal.service import CustomerSession
from rapport.surveys import inline


def open_surveys(session: Session, who: CustomerSession, conversation_id: int | None = None) -> list[inline.Open]:
    """The customer's open surveys (of one of their conversations, when given), newest first."""
    found = inline.open_for(session, customer_id=who.customer_id)
    return [o for o in found if conversation_id is None or o.conversation_id == conversation_id]


def answer(session: Session, who: CustomerSession, request_id: int, score: int, *, client: str) -> str:
    """Record the customer's tap on one of their open surveys; the fresh token of its page (NotFound otherwise)."""
    return inline.answer_first(session, request_id, score, client=client, customer_id=who.customer_id)
