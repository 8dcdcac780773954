"""The API shapes of service targets' clocks (`GET /api/v1/conversations/{id}/clocks`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from rapport.kit.schema import Out


class ClockOut(Out):
    """One clock of one target on a conversation: its state, deadline, what it spent or measured, and the same in
    words as the workspace says it."""

    id: int
    conversation_id: int
    policy_version_id: int
    target: str = Field(description="first_reply, next_reply, periodic_update, resolution or human.")
    label: str = Field(description="The target as pages name it ('First reply').")
    state: str = Field(description="running, paused, met, breached or cancelled.")
    word: str = Field(description="The state as a person reads it: On track, Due soon, Breached, Paused, Met …")
    summary: str = Field(description="'due in 25 min', 'late by 1 h 5 min', 'paused (pending), 2 h left' …")
    goal: str = Field(description="The target in words: '4 business hours', '1 day'.")
    target_seconds: int
    business: bool = Field(description="Counts business time on a calendar version (else around the clock).")
    calendar_version_id: int | None
    seconds_left: int | None = Field(
        description="Running: seconds to the deadline; paused: target less time spent (in the clock's units); "
        "negative when late; null once met or cancelled."
    )
    started_at: datetime
    spent_seconds: int
    running_since: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    paused_reason: str | None
    measured_seconds: int | None
