"""What the notifications page and badge ask for; each reads or marks only the signed-in agent's own rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Forbidden, NotFound
from rapport.models import Notification
from rapport.notifications import repository


@dataclass(frozen=True)
class Badge:
    """The unread count as the top bar shows it: a number, or the cap and '+' beyond it."""

    count: int
    more: bool

    @property
    def text(self) -> str:
        """'3', or '99+' past RAPPORT_NOTIFICATIONS_BADGE_CAP."""
        return f"{self.count}+" if self.more else str(self.count)


def _agent(actor: Actor) -> int:
    authorize(actor, "conversations.read")
    if actor.kind != "agent" or actor.id is None:
        raise Forbidden("Only agents have notifications.")
    return actor.id


def badge(session: Session, actor: Actor) -> Badge:
    """The agent's unread count, counted no further than RAPPORT_NOTIFICATIONS_BADGE_CAP + 1."""
    cap = get_settings().notifications_badge_cap
    found = repository.unread_count(session, _agent(actor), cap=cap + 1)
    return Badge(min(found, cap), found > cap)


def latest(session: Session, actor: Actor) -> list[Notification]:
    """The agent's newest notifications, RAPPORT_NOTIFICATIONS_PAGE_SIZE of them."""
    return repository.latest(session, _agent(actor), limit=get_settings().notifications_page_size)


def open_one(session: Session, actor: Actor, notification_id: int) -> int:
    """Mark read what the agent was told about this notification's conversation; returns the conversation's id."""
    agent_id = _agent(actor)
    row = repository.own(session, agent_id, notification_id)
    if row is None:  # someone else's is as unknown as one that never existed
        raise NotFound(f"You have no notification {notification_id}.")
    repository.mark_read(session, agent_id, now(), conversation_id=row.conversation_id)
    return row.conversation_id


def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark every unread notification of the agent read; returns how many."""
    return repository.mark_read(session, _agent(actor), now())
