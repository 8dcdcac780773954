"""Kudos and follow-ups in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from rapport.kit.schema import In, Out


class KudosOut(Out):
    """One kudos: the agent credited, the answer's summary and the customer's comment (plain text)."""

    id: int
    request_id: int
    agent_id: int
    team_id: int | None
    conversation_id: int
    customer_id: int
    summary: str
    comment: str
    created_at: datetime
    updated_at: datetime


class FollowUpOut(Out):
    """One follow-up: `recovery` (an unhappy answer, for the team lead) or `thanks` (a delighted one, for the agent)."""

    id: int
    request_id: int
    conversation_id: int
    customer_id: int
    team_id: int | None
    kind: str
    state: str
    owner_id: int | None
    signals: list[str]
    summary: str
    due_at: datetime
    reason_code: str
    outcome: str
    done_by_id: int | None
    done_at: datetime | None
    created_at: datetime


class Completion(In):
    """How a follow-up ended: a reason code from RAPPORT_FOLLOWUP_REASON_CODES (recovery ones) and the outcome."""

    reason_code: Annotated[str, Field(max_length=64, pattern="^[a-z0-9_]*$")] = ""
    outcome: Annotated[str, Field(max_length=20_000)] = ""


State = Literal["open", "done", "cancelled", "all"]
Kind = Literal["recovery", "thanks"]
