"""Rules fixtures: the consumer and jobs as the worker runs them, rules made through the service, customers writing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.events import consumers
from rapport.kernel.permissions import SYSTEM
from rapport.models import Event
from rapport.rules import service
from rapport.worker.runner import load_handlers, run_due


@pytest.fixture
def work(db):
    """One pass of the worker (the consumers, then due jobs), the consumers first started at the present."""
    load_handlers()
    assert "rules" in consumers.CONSUMERS
    consumers.run_consumers(db)

    def once(rounds: int = 6) -> None:
        # A cascade takes a round per level: the events rules write are handed to the rules next round.
        for _ in range(rounds):
            consumers.run_consumers(db)
            run_due(db)

    return once


def make_rule(db, name: str, definition: dict, *, kind: str = "event", enabled: bool = True) -> int:
    """A rule made by the system through the service; its id."""
    with db.write() as s:
        return service.create(s, SYSTEM, name=name, kind=kind, definition_=definition, enabled=enabled).id


def write_in(db, world, text: str = "Hello", *, address: str = "jo@customer.test", conversation_id=None, meta=None):
    """A customer's message through the inbound pipeline (the API inbox); the conversation's id."""
    msg = Inbound(
        inbox_id=world.api_inbox.id,
        sender_kind="email",
        sender_address=address,
        text=text,
        conversation_id=conversation_id,
        meta=meta or {},
    )
    with db.write() as s:
        return receive_inbound(s, SYSTEM, msg).conversation_id


def events(db, conversation_id: int, *names: str) -> list[Event]:
    """The conversation's events (of these names), oldest first."""
    with db.read() as s:
        query = select(Event).where(Event.conversation_id == conversation_id)
        if names:
            query = query.where(Event.name.in_(names))
        return list(s.scalars(query.order_by(Event.id)))


def action(kind: str, **params) -> dict:
    """An action of a definition."""
    return {"type": kind, "params": params}
