"""The supervisor board's API shape (`GET /api/v1/supervisor/board`)."""

from __future__ import annotations

from datetime import datetime

from rapport.kit.schema import Out


class QueueOut(Out):
    """One inbox on one channel: open work, waiting (customer wrote last), the oldest wait, unassigned."""

    inbox_id: int
    inbox: str
    channel: str
    active: int
    waiting: int
    unassigned: int
    oldest_waiting: datetime | None


class AgentLoadOut(Out):
    """An agent's availability and active conversations assigned to them per channel."""

    id: int
    name: str
    role: str
    availability: str
    load: dict[str, int]
    total: int


class WaitingOut(Out):
    """A conversation on the board's lists (the human queue, the longest waits)."""

    id: int
    subject: str
    status: str
    priority: str
    channel: str
    inbox_id: int
    assignee_id: int | None
    team_id: int | None
    customer_name: str | None
    last_inbound_at: datetime | None
    human_requested_at: datetime | None


class TotalsOut(Out):
    """The headline figures."""

    waiting: int
    oldest_waiting: datetime | None
    unassigned: int
    human: int
    online: int
    agents: int


class ExpectedWaitOut(Out):
    """The wait a new request for a person would be told (seconds null: nobody online)."""

    waiting: int
    agents_online: int
    seconds: int | None


class BoardOut(Out):
    """The whole board."""

    totals: TotalsOut
    queues: list[QueueOut]
    agents: list[AgentLoadOut]
    human_queue: list[WaitingOut]
    waiting_longest: list[WaitingOut]
    expected_wait: ExpectedWaitOut
