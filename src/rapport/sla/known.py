"""The policies and calendar versions as this process last read them, checked against a change stamp at each use.

Policy and calendar versions are never edited, only added, and a policy's other changes (name, order, on or off)
move its `updated_at`: so counts and maxima of those tables (`stamp`, one cheap statement) tell whether anything
changed, in this process or another. When nothing did, the policies in force and the calendar versions at any
instant are answered in memory, every version parsed once: a batch of inbound messages no longer reads and parses
them again. A version with a future `effective_from` is held already and takes over at its instant. Edits made in
this process also forget the cache when they commit (sla_policy.* and calendar.* events), and a transaction that
changes them itself reads its own, uncommitted state without keeping it.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from rapport.events import bus
from rapport.models import CalendarVersion, SlaClock, SlaPolicy, SlaPolicyVersion
from rapport.sla import calendars
from rapport.sla import policies as policy_service
from rapport.sla.core import OPEN_STATES
from rapport.sla.policies import Effective

P = SlaPolicy.__table__
V = SlaPolicyVersion.__table__
CV = CalendarVersion.__table__
T = SlaClock.__table__
_CHANGES = ("sla_policy.", "calendar.")  # events whose commit makes this process forget what it knows


def _scalar(query):
    return query.scalar_subquery()


# Each a scalar subquery: one statement, and every part an index-only or tiny-table read.
_STAMP = (
    _scalar(select(func.count()).select_from(P)),
    _scalar(select(func.count()).select_from(P).where(P.c.active.is_(True))),
    _scalar(select(func.max(P.c.updated_at))),
    _scalar(select(func.count()).select_from(V)),
    _scalar(select(func.max(V.c.id))),
    _scalar(select(func.count()).select_from(CV)),
    _scalar(select(func.max(CV.c.id))),
)

_STAMP_QUERY = select(*_STAMP)
_STAMP_AND_OPEN = select(
    *_STAMP,
    exists().where(
        T.c.conversation_id.in_(bindparam("ids", expanding=True)),
        T.c.stopped_at.is_(None),
        T.c.state.in_(sorted(OPEN_STATES)),
    ),
)


@dataclass(frozen=True)
class Known:
    """The active policies (in the order they are tried, each with its versions by start) and every calendar's
    versions, as read at one stamp."""

    stamp: tuple
    policies: tuple[tuple[tuple[datetime, ...], tuple[Effective, ...]], ...]
    calendars: calendars.InForce

    def in_force(self, at: datetime) -> list[Effective]:
        """The active policies in force at `at`, in order, each with its version then."""
        out = []
        for starts, versions in self.policies:
            i = bisect_right(starts, at) - 1
            if i >= 0:
                out.append(versions[i])
        return out


_KNOWN: dict[object, Known] = {}  # by database URL: tests and tools may open more than one database in a process
_LOCK = threading.Lock()


def forget(*_) -> None:
    """Forget everything known (a policy or calendar changed in this process; a test emptied the database)."""
    with _LOCK:
        _KNOWN.clear()
    calendars.forget()


def _forget_after_commit(events) -> None:
    if any(e.name.startswith(_CHANGES) for e in events):
        forget()


bus.subscribe(_forget_after_commit)


def _database(session: Session):
    return session.get_bind().engine.url  # the write and read binds are different engine objects over one database


def _changing(session: Session) -> bool:
    """Whether this transaction itself changed policies or calendars (its view is not every transaction's)."""
    return any(e.name.startswith(_CHANGES) for e in session.info.get("events", ()))


def _read(session: Session, stamp: tuple) -> Known:
    query = (
        select(P.c.id, P.c.name, P.c.position, V.c.id.label("version_id"), V.c.effective_from)
        .add_columns(V.c.condition, V.c.targets)
        .join(V, V.c.policy_id == P.c.id)
        .where(P.c.active.is_(True))
        .order_by(P.c.position, P.c.id, V.c.effective_from)
    )
    by_policy: dict[int, tuple[list, list]] = {}
    for r in session.execute(query):
        policy = SimpleNamespace(id=r.id, name=r.name, position=r.position)
        version = SimpleNamespace(id=r.version_id, condition=r.condition, targets=r.targets)
        starts, versions = by_policy.setdefault(r.id, ([], []))
        starts.append(r.effective_from)
        versions.append(policy_service.parsed(policy, version))
    return Known(
        stamp,
        tuple((tuple(s), tuple(v)) for s, v in by_policy.values()),
        calendars.InForce(session, None),
    )


def last(session: Session) -> Known | None:
    """What this process last knew of the session's database (unchecked: a hint of what to ask), or None."""
    return _KNOWN.get(_database(session))


def known(session: Session, open_in: set[int] | None = None) -> tuple[Known, bool]:
    """What is known now (read again only when the stamp moved), and — when `open_in` is given — whether any of
    those conversations has an open clock, asked in the same statement."""
    database = _database(session)
    conn = session.connection()  # Core rows: no ORM layer (nothing read here is an ORM object)
    if open_in:
        row = tuple(conn.execute(_STAMP_AND_OPEN, {"ids": sorted(open_in)}).one())
    else:
        row = tuple(conn.execute(_STAMP_QUERY).one())
    stamp, any_open = row[: len(_STAMP)], bool(open_in) and bool(row[-1])
    found = _KNOWN.get(database)
    if found is not None and found.stamp == stamp:
        return found, any_open
    fresh = _read(session, stamp)
    if not _changing(session):
        with _LOCK:
            _KNOWN[database] = fresh
    return fresh, any_open
