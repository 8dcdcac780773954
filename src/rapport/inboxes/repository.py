"""Inbox queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kit.problems import NotFound
from rapport.models import Inbox


def get(session: Session, inbox_id: int) -> Inbox:
    """The inbox; NotFound when there is none."""
    inbox = session.get(Inbox, inbox_id)
    if inbox is None:
        raise NotFound(f"There is no inbox {inbox_id}.")
    return inbox


def all_(session: Session) -> list[Inbox]:
    """Every inbox, by name."""
    return list(session.scalars(select(Inbox).order_by(Inbox.name)))
