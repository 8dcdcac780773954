"""REST route of the supervisor console: the board as JSON, for wallboards and integrations."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.supervision import service
from rapport.supervision.schemas import BoardOut
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["supervision"])


@router.get("/supervisor/board", dependencies=[requires("read")], response_model=BoardOut)
def get_board(session: DB, actor: Me):
    """Queues per inbox and channel (with service targets breached and about to breach), the human queue, the
    longest waits, agents' load and targets per team (supervisors)."""
    b = service.board(session, actor)
    return BoardOut(
        totals=b.totals,
        queues=b.queues,
        agents=b.agents,
        human_queue=b.human,
        waiting_longest=b.waiting,
        expected_wait=b.wait,
        targets_by_team=b.targets,
    )
