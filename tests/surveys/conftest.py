"""Surveys' fixtures: a CSAT + expectations survey, and conversations solved after a person's reply."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from rapport.conversations import service as conversations
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Customer, Event, SurveyRequest
from rapport.models.enums import Role, Status
from rapport.surveys import send, service
from rapport.surveys.schemas import Question, Rules
from rapport.worker.runner import run_due

assert send.SEND  # importing it registers the survey jobs, as the worker does

QUESTIONS = [
    Question(key="csat", kind="csat", prompt="How would you rate the support you received?", points=5),
    Question(key="expectations", kind="expectations", prompt="How did our service compare with what you expected?"),
    Question(key="reason", kind="reason", prompt="What mattered most?", options=["Speed", "Knowledge", "Kindness"]),
    Question(key="comment", kind="text", prompt="Anything else?"),
]


def agent_actor(world) -> Actor:
    """Alex Agent acting."""
    return Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")


def make_survey(db, *, questions=None, **rules) -> int:
    """A survey in force (sent 10 minutes after solving unless `rules` say otherwise); its id."""
    with db.write() as s:
        return service.create(
            s, SYSTEM, name="After solving", questions=questions or QUESTIONS,
            rules=Rules(**{"delay_minutes": 10, "min_messages": 2, **rules}),
        ).id  # fmt: skip


def solved(db, world, *, address="jo@customer.test", reply=True, conversation_id=None) -> int:
    """A customer's mail, a person's reply, solved; the conversation's id."""
    msg = Inbound(
        inbox_id=world.email_inbox.id, sender_kind="email", sender_address=address, text="My order is late",
        conversation_id=conversation_id,
    )  # fmt: skip
    with db.write() as s:
        conv_id = receive_inbound(s, SYSTEM, msg).conversation_id
    with db.write() as s:
        if reply:
            conversations.reply(s, agent_actor(world), conv_id, text="It ships today.", status=Status.solved)
        else:
            conversations.update(s, agent_actor(world), conv_id, conversations.Changes(status=Status.solved))
    return conv_id


def requests_of(db, conversation_id: int) -> list[SurveyRequest]:
    """The conversation's survey requests."""
    with db.read() as s:
        rows = list(s.scalars(select(SurveyRequest).where(SurveyRequest.conversation_id == conversation_id)))
        s.expunge_all()
        return rows


def events_named(db, prefix: str) -> list[Event]:
    """Events whose name starts with `prefix`, oldest first."""
    with db.read() as s:
        rows = list(s.scalars(select(Event).where(Event.name.like(f"{prefix}%")).order_by(Event.id)))
        s.expunge_all()
        return rows


def opt_out(db, address: str) -> None:
    """Mark the customer behind `address` as not wanting surveys."""
    from rapport.models import Identity

    with db.write() as s:
        customer = s.get(Customer, s.scalar(select(Identity.customer_id).where(Identity.address == address)))
        customer.attributes = {**(customer.attributes or {}), "surveys_opt_out": True}


def run_jobs(db, frozen_clock, after: timedelta = timedelta(0)) -> int:
    """Move the clock on and run what is due."""
    frozen_clock[0] += after
    return run_due(db)


def sent(db, world, frozen_clock, **survey_rules) -> tuple[int, str]:
    """A survey mailed for a solved conversation: (request id, the token its links carry), read off the queued mail."""
    import re

    from rapport.models import Job
    from rapport.surveys.send import send as send_now

    make_survey(db, **survey_rules)
    conv = solved(db, world)
    (req,) = requests_of(db, conv)
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "sent"
        text = s.scalar(select(Job.payload).where(Job.dedupe_key == f"survey:{req.id}"))["text"]
    token = re.search(rf"/survey/{req.id}/(rsv_[A-Za-z0-9_-]+)\?score=", text).group(1)
    return req.id, token


def answer_form(client, request_id: int, token: str, **fields):
    """Open the survey page (for its CSRF cookie and token) and send `fields`; the response (not followed)."""
    page = client.get(f"/survey/{request_id}/{token}")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(f"/survey/{request_id}/{token}", data={"csrf_token": csrf, **fields}, follow_redirects=False)
