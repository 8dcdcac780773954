"""A clock's row and its `core.Clock` value, one to the other (seconds→target_seconds, spent→spent_seconds,
measured→measured_seconds; the calendar comes from `calendar_version_id`)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, update

from rapport.kit.calendar_spec import Calendar
from rapport.models import SlaClock
from rapport.sla.core import Clock

T = SlaClock.__table__
# Columns a clock's value decides (the rest — ids, policy version, calendar version — are fixed at its start).
_MOVING = (
    "state",
    "spent_seconds",
    "running_since",
    "due_at",
    "warn_at",
    "next_at",
    "warned_at",
    "breached_at",
    "stopped_at",
    "paused_reason",
    "measured_seconds",
    "updated_at",
)
UPDATE = update(T).where(T.c.id == bindparam("b_id")).values({name: bindparam(f"b_{name}") for name in _MOVING})
# SQLite: the same update as plain SQL, values bound here by their column types as SQLAlchemy binds them (its
# executemany runs every row's values through its execution context, most of the update's cost).
_UPDATE_SQLITE = f"UPDATE sla_clocks SET {', '.join(f'{name} = ?' for name in _MOVING)} WHERE id = ?"  # noqa: S608


@lru_cache(maxsize=4)
def _processors(dialect) -> tuple:
    return tuple(T.c[name].type._cached_bind_processor(dialect) for name in _MOVING)


def write(conn: Connection, changed: list[tuple[int, Clock]], stamp: datetime) -> None:
    """Update the moving columns of changed clocks, (row id, value) each, with one executemany."""
    if not changed:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(UPDATE, [update_params(row_id, clock, stamp) for row_id, clock in changed])
        return
    processors = _processors(conn.dialect)
    params = []
    for row_id, clock in changed:
        values = moving(clock, stamp).values()
        params.append((*(p(v) if p else v for p, v in zip(processors, values, strict=True)), row_id))
    conn.exec_driver_sql(_UPDATE_SQLITE, params)


def clock_of(row: Any, calendar: Calendar | None) -> Clock:
    """The clock a stored row holds."""
    return Clock(
        target=row.target,
        seconds=row.target_seconds,
        started_at=row.started_at,
        calendar=calendar,
        warn_share=row.warn_share,
        state=row.state,
        spent=row.spent_seconds,
        running_since=row.running_since,
        due_at=row.due_at,
        warn_at=row.warn_at,
        warned_at=row.warned_at,
        breached_at=row.breached_at,
        stopped_at=row.stopped_at,
        paused_reason=row.paused_reason,
        measured=row.measured_seconds,
    )


def moving(clock: Clock, stamp: datetime) -> dict:
    """The columns a clock's value decides, as stored."""
    return {
        "state": clock.state,
        "spent_seconds": clock.spent,
        "running_since": clock.running_since,
        "due_at": clock.due_at,
        "warn_at": clock.warn_at,
        "next_at": clock.next_at,
        "warned_at": clock.warned_at,
        "breached_at": clock.breached_at,
        "stopped_at": clock.stopped_at,
        "paused_reason": clock.paused_reason,
        "measured_seconds": clock.measured,
        "updated_at": stamp,
    }


def new_row(
    clock: Clock, conversation_id: int, version_id: int, calendar_version_id: int | None, stamp: datetime
) -> dict:
    """The row of a clock that starts."""
    return {
        "conversation_id": conversation_id,
        "policy_version_id": version_id,
        "target": clock.target,
        "target_seconds": clock.seconds,
        "calendar_version_id": calendar_version_id,
        "warn_share": clock.warn_share,
        "started_at": clock.started_at,
        "detail": {},
        **moving(clock, stamp),
    }


def update_params(row_id: int, clock: Clock, stamp: datetime) -> dict:
    """The parameters of `UPDATE` for one clock."""
    return {"b_id": row_id, **{f"b_{k}": v for k, v in moving(clock, stamp).items()}}
