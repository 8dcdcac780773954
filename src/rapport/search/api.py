"""Search routes: HTTP in, service call, HTTP out."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from rapport.kit.schema import Cursor, Id, Limit, Page
from rapport.models.enums import Channel, Status
from rapport.search import service
from rapport.search.schemas import SearchHit
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["search"])
Kind = Literal["conversations", "messages", "customers"]


@router.get("/search", dependencies=[requires("read")], response_model=Page[SearchHit])
def search(
    session: DB,
    actor: Me,
    q: Annotated[str, Query(description='words, "quoted phrases", and word* for a prefix; every term must match')],
    kind: Annotated[list[Kind] | None, Query(description="what to search; all three by default")] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    channel: Channel | None = None,
    inbox_id: Id | None = None,
    assignee_id: Id | None = None,
    team_id: Id | None = None,
    customer_id: Id | None = None,
    limit: Limit = 20,
    cursor: Cursor | None = None,
):
    """Full-text search over conversation subjects, messages and customers, best match first."""
    return service.search(
        session,
        actor,
        q=q,
        kinds=kind,
        status=[s.value for s in status] if status else None,
        channel=channel.value if channel else None,
        inbox_id=inbox_id,
        assignee_id=assignee_id,
        team_id=team_id,
        customer_id=customer_id,
        limit=limit,
        cursor=cursor,
    )
