"""REST route over a conversation's service-target clocks (read only: clocks move by what happens, not by hand)."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.kit.schema import Id, Int, Limit, Page
from rapport.sla import clock_read
from rapport.sla.clock_schemas import ClockOut
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["service targets"])


@router.get("/conversations/{conversation_id}/clocks", dependencies=[requires("read")], response_model=Page[ClockOut])
def list_clocks(conversation_id: Id, session: DB, actor: Me, before: Int | None = None, limit: Limit = 50):
    """The conversation's clocks (one per target each time it started), newest first; `before` pages back."""
    items, cursor = clock_read.clocks(session, actor, conversation_id, limit=limit, before=before)
    return Page(items=items, next_cursor=cursor)
