"""REST routes for events set aside by consumers (admin scope): list the dead letters, retry one."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from rapport.events import dead_letters
from rapport.jobs.event_views import load_consumers
from rapport.kit.schema import Id, Int, Page
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["events"])


class DeadLetterOut(BaseModel):
    """An event one consumer set aside after its retries."""

    id: int
    consumer: str
    event_id: int
    event_name: str | None
    error: str
    attempts: int
    at: datetime


class RetryOut(BaseModel):
    """What a retry did: `handled` (the dead letter is gone) or not (its error and attempts are updated)."""

    id: int
    handled: bool


@router.get("/events/dead-letters", dependencies=[requires("admin")], response_model=Page[DeadLetterOut])
def list_dead_letters(session: DB, actor: Me, before: Int | None = None):
    """The newest dead letters first; `next_cursor` is the `before` of the next page."""
    letters, older = dead_letters.page(session, actor, before=before)
    items = [
        DeadLetterOut(
            id=x.row.id,
            consumer=x.row.consumer,
            event_id=x.row.event_id,
            event_name=x.event.name if x.event else None,
            error=x.row.error,
            attempts=x.row.attempts,
            at=x.row.at,
        )
        for x in letters
    ]
    return Page[DeadLetterOut](items=items, next_cursor=str(older) if older else None)


@router.post("/events/dead-letters/{letter_id}/retry", dependencies=[requires("admin")], response_model=RetryOut)
def retry_dead_letter(letter_id: Id, session: DB, actor: Me):
    """Hand the event to its consumer again now."""
    load_consumers()
    return RetryOut(id=letter_id, handled=dead_letters.retry(session, actor, letter_id))
