"""The notifications' event: an agent got new notifications, told to their own live topic only."""

from __future__ import annotations

from rapport.events.registry import Payload, declare


class NotificationsCreated(Payload):
    """An agent got new notifications (or an unread one grew); their live topic hears of it, to refresh the badge."""

    agent_id: int
    count: int


CREATED = declare(
    "notification.created",
    NotificationsCreated,
    lambda who, p, c: f"{c.names.get(p.get('agent_id'), 'An agent')} was notified",
    # Nobody else's page needs it (an inbox would refresh); a badge refresh is nothing for outside systems.
    topics=lambda p: [f"agent:{p['agent_id']}"],
    private_push=True,
    public=False,
)
