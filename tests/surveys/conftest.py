"""Surveys' fixtures: a CSAT + expectations survey, and conversations solved after a person's reply."""

from __future__ import annotations

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
