"""Notification fixtures: the consumer as the worker runs it, agents as actors, conversations from a customer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rapport.agents.auth import actor_for
from rapport.conversations import service as conversations
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.events import consumers
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Notification
from rapport.worker.runner import load_handlers
from tests.conftest import sign_in_as

ALEX = ("alex@example.com", "agent password 1")
ADA = ("ada@example.com", "correct horse battery")


@pytest.fixture
def run(db):
    """Run the event consumers now, as the worker does after a commit; the first call starts them at the present."""
    load_handlers()  # the worker imports the consumer's module this way
    assert "notifications" in consumers.CONSUMERS
    consumers.run_consumers(db)
    return lambda: consumers.run_consumers(db)


def actor(db, agent_id: int):
    """The Actor of an agent signed in through a browser session."""
    with db.read() as s:
        return actor_for(s, s.get(Agent, agent_id), None)


def customer_writes(db, world, text: str, *, address: str = "jo@customer.test", subject: str = "Parcel") -> int:
    """A customer's email (a new conversation, or a reply in their open one); returns the conversation id."""
    with db.write() as s:
        result = receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.email_inbox.id,
                sender_kind="email",
                sender_address=address,
                sender_name="Jo Customer",
                subject=subject,
                text=text,
            ),
        )
    return result.conversation_id


def assign(db, who, conversation_id: int, agent_id: int | None) -> None:
    """`who` assigns the conversation (to nobody with None)."""
    with db.write() as s:
        conversations.update(s, who, conversation_id, conversations.Changes(assignee_id=agent_id))


def rows(db, agent_id: int | None = None) -> list[Notification]:
    """Stored notifications (of one agent), oldest first."""
    query = select(Notification).order_by(Notification.id)
    if agent_id is not None:
        query = query.where(Notification.agent_id == agent_id)
    with db.read() as s:
        return list(s.scalars(query))


def signed_in(app, email: str, password: str) -> tuple[TestClient, str]:
    """A browser-like client signed in through the form (redirects not followed), and its CSRF token."""
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    return client, sign_in_as(client, email, password, next="/inbox", page="/inbox/all")
