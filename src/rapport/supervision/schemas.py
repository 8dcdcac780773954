"""The supervisor board's API shape (`GET /api/v1/supervisor/board`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

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
    breached: int = Field(0, description="Conversations with a breached service target not yet met.")
    due_soon: int = Field(0, description="Conversations not breached whose target's warning has come.")


class TeamTargetsOut(Out):
    """A team's conversations with a breached service target and those about to breach (team_id null: no team)."""

    team_id: int | None
    team: str
    breached: int
    due_soon: int


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
    breached: int = 0
    due_soon: int = 0


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
    targets_by_team: list[TeamTargetsOut] = []
