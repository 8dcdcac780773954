"""The due-time job: every second, record the warnings and breaches that have come, at their computed instants.

It reads only clocks whose `next_at` has passed, through the partial index `ix_sla_clocks_next` (ORDER BY next_at
LIMIT n), never the open conversations. On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`: two workers take
different clocks, and a clock a lifecycle change holds is left for the next second. `core.fire` records each
warning and breach once (it moves `next_at` on), so running it again changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.events.outbox import record_many
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from rapport.models import SlaClock, SlaPolicyVersion
from rapport.sla import calendars, core, rows
from rapport.sla.runtime import Tracked, clock_payload
from rapport.worker.periodic import periodic

T = SlaClock.__table__
BATCH = 200  # clocks claimed per statement
ROUNDS = 10  # statements per run at most; what is left waits for the next second


def claim_query(at: datetime, limit: int, *, postgresql: bool):
    """The clocks due at `at`, soonest first (through ix_sla_clocks_next; skipping locked ones on PostgreSQL)."""
    query = select(*T.c).where(T.c.next_at.is_not(None), T.c.next_at <= at).order_by(T.c.next_at, T.c.id).limit(limit)
    return query.with_for_update(skip_locked=True) if postgresql else query


def fire_due(session: Session, at: datetime | None = None, *, limit: int = BATCH) -> int:
    """Fire the clocks due at `at` (now), one claim of at most `limit`; returns how many were claimed."""
    at = at or now()
    postgresql = session.get_bind().dialect.name == "postgresql"
    found = list(session.execute(claim_query(at, limit, postgresql=postgresql)))
    if not found:
        return 0
    parsed = calendars.by_version(session, {r.calendar_version_id for r in found})
    version_ids = {r.policy_version_id for r in found}
    policy_of = dict(
        session.execute(
            select(SlaPolicyVersion.id, SlaPolicyVersion.policy_id).where(SlaPolicyVersion.id.in_(version_ids))
        ).all()
    )
    stamp, updates, events = now(), [], []
    for r in found:
        clock, happened = core.fire(rows.clock_of(r, parsed.get(r.calendar_version_id)), at)
        updates.append(rows.update_params(r.id, clock, stamp))
        tracked = Tracked(clock, policy_of[r.policy_version_id], r.policy_version_id, r.calendar_version_id, r.id)
        for h in happened:
            ids = {"conversation_id": r.conversation_id, "occurred_at": h.at}
            events.append((h.name, SYSTEM, ids, clock_payload(tracked, h, clock.due_at)))
    session.connection().execute(rows.UPDATE, updates)
    record_many(session, events)
    return len(found)


@periodic("sla.due", every_seconds=1)
def due(session: Session, payload: dict) -> None:
    """Record the response targets' warnings and breaches that have come."""
    for _ in range(ROUNDS):
        if fire_due(session) < BATCH:
            return
