"""Survey requests and answers laid down directly (as years of use would leave them), for the report's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from rapport.models import Conversation, Customer, Survey, SurveyAnswer, SurveyRequest
from tests.surveys.conftest import make_survey


@dataclass
class Sent:
    """One survey sent `days_ago`: its channel, the customer's segment, the assignee, and the answers (or none)."""

    csat: int | None = None
    expectations: int | None = None
    reason: str | None = None
    comment: str | None = None
    channel: str = "email"
    segment: str | None = None
    assignee_id: int | None = None
    days_ago: int = 1
    state: str | None = None  # default: answered when there is a score, else expired
    wait_hours: float | None = None  # the first reply's wait (None: no reply)
    reopens: int = 0


def lay_down(db, world, surveys: list[Sent], *, survey_id: int | None = None) -> int:
    """Conversations, each with one survey request in the given state and its answers; the survey's id."""
    survey_id = survey_id or make_survey(db)
    with db.write() as s:
        version_id = s.get(Survey, survey_id).current_version_id
        for n, spec in enumerate(surveys):
            msg = Inbound(
                inbox_id=world.email_inbox.id, sender_kind="email", sender_address=f"c{n}@report.test", text="Help"
            )
            conv = s.get(Conversation, receive_inbound(s, SYSTEM, msg).conversation_id)
            conv.assignee_id = spec.assignee_id
            conv.reopen_count = spec.reopens
            if spec.wait_hours is not None:
                conv.first_reply_at = conv.created_at + timedelta(hours=spec.wait_hours)
            s.get(Customer, conv.customer_id).segment = spec.segment
            sent_at = now() - timedelta(days=spec.days_ago)
            answered = spec.csat is not None
            request = SurveyRequest(
                survey_id=survey_id, version_id=version_id, conversation_id=conv.id, customer_id=conv.customer_id,
                channel=spec.channel, target="", state=spec.state or ("answered" if answered else "expired"),
                sent_at=sent_at, expires_at=sent_at + timedelta(days=7), created_at=sent_at, updated_at=sent_at,
                answered_at=sent_at + timedelta(hours=1) if answered else None,
            )  # fmt: skip
            s.add(request)
            s.flush()
            rows = [("csat", "csat", spec.csat, None, None)]
            if spec.expectations:
                rows.append(("expectations", "expectations", spec.expectations, None, None))
            if spec.reason:
                rows.append(("reason", "reason", None, spec.reason, None))
            if spec.comment:
                rows.append(("comment", "text", None, None, spec.comment))
            if answered:
                s.add_all(
                    SurveyAnswer(
                        request_id=request.id,
                        question=q,
                        kind=k,
                        score=v,
                        choice=c,
                        text=t,
                        created_at=sent_at,
                        updated_at=sent_at,
                    )  # fmt: skip
                    for q, k, v, c, t in rows
                )
    return survey_id
