"""The clocks carried out on conversations: read the open clocks, run the plan, write what changed, record events.

A `Run` is one transaction's work on some conversations' clocks: it reads their open clocks with one query, takes
the policies and calendars as this process knows them (sla.known: one stamp statement), and writes new clocks,
changed clocks, their sla.* events and the conversations' nearest deadline (`sla_due_at`) with a statement each,
however many conversations a batch touches. The lifecycle hook
(sla.lifecycle), the due-time job (sla.due) and re-evaluation (sla.reevaluate) all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from rapport.conditions.evaluate import Snapshot
from rapport.db.bulk import insert_ids
from rapport.events.outbox import record_many
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from rapport.models import Conversation, Customer, SlaClock, SlaPolicyVersion
from rapport.sla import calendars, core, known, plan, rows
from rapport.sla import facts as conversation_facts
from rapport.sla.core import BREACHED, OPEN_STATES, RUNNING, Clock, Happened
from rapport.sla.plan import Promise, Signal
from rapport.sla.policies import Effective

T = SlaClock.__table__
C = Conversation.__table__.c
_CONV_UPDATE_SQLITE = "UPDATE conversations SET sla_due_at = ?, sla_policy_id = ? WHERE id = ?"
# PostgreSQL: one statement for the batch, its text the same for every batch (as lifecycle.bulk.touch does).
_CONV_UPDATE_PG = (
    "UPDATE conversations AS c SET sla_due_at = u.due, sla_policy_id = u.policy "
    "FROM unnest(%(id)s::BIGINT[], %(due)s::TIMESTAMPTZ[], %(policy)s::BIGINT[]) AS u(id, due, policy) "
    "WHERE c.id = u.id"
)


@dataclass(eq=False)
class Tracked:
    """A clock being carried: its value, the policy version it runs under, its row once written."""

    clock: Clock
    policy_id: int
    version_id: int
    calendar_version_id: int | None
    row_id: int | None = None
    dirty: bool = False


@dataclass(eq=False)
class Carried:
    """One conversation's clocks in a run."""

    id: int
    policy_id: int | None
    due_at: datetime | None
    inbox_id: int | None = None  # where its events are placed (events.outbox), read with it
    team_id: int | None = None
    open: dict[str, Tracked] = field(default_factory=dict)
    closed: list[Tracked] = field(default_factory=list)
    policy_changed: bool = False


def _ids(name: str = "ids"):
    return bindparam(name, expanding=True)


# Built once: a statement built per batch costs its construction and its cache key again every time.
_OPEN = (T.c.stopped_at.is_(None), T.c.state.in_(sorted(OPEN_STATES)))
OPEN_CLOCKS = (
    select(*T.c, SlaPolicyVersion.policy_id)
    .join(SlaPolicyVersion, SlaPolicyVersion.id == T.c.policy_version_id)
    .where(T.c.conversation_id.in_(_ids()), *_OPEN)
    .order_by(T.c.id)
)
_OPEN_CLOCKS_LOCKED = OPEN_CLOCKS.with_for_update(of=T)
_ANY_OPEN = select(T.c.id).where(T.c.conversation_id.in_(_ids()), *_OPEN).limit(1)
_CARRIED = (C.id, C.sla_policy_id, C.sla_due_at, C.inbox_id, C.team_id)
_CONVERSATIONS = select(*_CARRIED).where(C.id.in_(_ids()))
_WITH_SNAPSHOTS = (
    select(*_CARRIED, *conversation_facts.SNAPSHOT_COLUMNS)
    .join(Customer, Customer.id == C.customer_id)
    .where(C.id.in_(_ids()))
)


def due_of(carried: Carried) -> datetime | None:
    """The nearest deadline of a conversation's running or breached (not yet stopped) clocks."""
    dues = [t.clock.due_at for t in carried.open.values() if t.clock.state in (RUNNING, BREACHED) and t.clock.due_at]
    return min(dues) if dues else None


class Run:
    """One transaction's work on the clocks of some conversations (read once, written once)."""

    def __init__(self, session: Session, at: datetime | None = None):
        self.session = session
        self.at = at or now()
        self.convs: dict[int, Carried] = {}
        self._policies: list[Effective] | None = None
        self._known: known.Known | None = None
        self._promises: dict[int, tuple[Effective | None, dict[str, Promise], dict[str, int | None]]] = {}
        self._log: list[tuple] = []  # events to record, in order: ("applied", conv, payload) or ("clock", …)

    @property
    def policies(self) -> list[Effective]:
        """The active policies in force now, in order (checked once per run, with one statement)."""
        if self._policies is None:
            self._know(None)
        return self._policies

    def _know(self, open_in: set[int] | None) -> bool:
        self._known, any_open = known.known(self.session, open_in)
        self._policies = self._known.in_force(self.at)
        return any_open

    def survey(self, conversation_ids: set[int]) -> tuple[list[Effective], bool]:
        """The policies in force and, only when none is, whether any of the conversations has an open clock (with
        the policies' check in one statement when this process already knew of no policy in force)."""
        last = known.last(self.session)
        if last is not None and not last.in_force(self.at) and conversation_ids:
            any_open = self._know(conversation_ids)
            if not self._policies:
                return self._policies, any_open
        if self.policies:
            return self._policies, False
        return self._policies, bool(conversation_ids) and self.any_open(conversation_ids)

    def any_open(self, conversation_ids: set[int]) -> bool:
        """Whether any of the conversations has an open clock (one statement; nothing is loaded)."""
        return self.session.execute(_ANY_OPEN, {"ids": sorted(conversation_ids)}).first() is not None

    def load(self, conversation_ids: set[int], created: set[int] | None = None) -> dict[int, Snapshot]:
        """Read the conversations' policy, deadline and open clocks (locked on PostgreSQL: a due-time job that
        holds one is waited for, never overwritten); and in the same statement the snapshots of those this
        transaction `created` (no tags, policy or clocks yet: adopted, their snapshot is all there is to read)."""
        created = {i for i in created or () if i not in self.convs}
        wanted = sorted(i for i in conversation_ids if i not in self.convs and i not in created)
        if not wanted and not created:
            return {}
        query = _WITH_SNAPSHOTS if created else _CONVERSATIONS
        snaps: dict[int, Snapshot] = {}
        # Core statements on the connection: the session's ORM layer over plain rows is most of a read's cost here.
        self.session.flush()  # (what the session's own execute would have flushed first)
        conn = self.session.connection()
        for row in conn.execute(query, {"ids": sorted({*wanted, *created})}):
            self.convs[row.id] = Carried(row.id, row.sla_policy_id, row.sla_due_at, row.inbox_id, row.team_id)
            if row.id in created:
                snaps[row.id] = conversation_facts.snapshot_of(row)
        if not wanted:
            return snaps
        locked = self.session.get_bind().dialect.name == "postgresql"
        found = list(conn.execute(_OPEN_CLOCKS_LOCKED if locked else OPEN_CLOCKS, {"ids": wanted}))
        parsed = calendars.by_version(self.session, {r.calendar_version_id for r in found})
        for r in found:
            clock = rows.clock_of(r, parsed.get(r.calendar_version_id))
            tracked = Tracked(clock, r.policy_id, r.policy_version_id, r.calendar_version_id, row_id=r.id)
            carried = self.convs[r.conversation_id]
            if clock.target in carried.open:  # two open clocks of one target: keep the newest, close the older
                older = carried.open[clock.target]
                older.clock, older.dirty = core.cancel(older.clock, self.at), True
                carried.closed.append(older)
            carried.open[clock.target] = tracked
        return snaps

    @property
    def calendars(self) -> calendars.InForce:
        """The versions of every calendar (known with the policies)."""
        if self._known is None:
            self._know(None)
        return self._known.calendars

    def promises(self, policy_id: int | None) -> tuple[Effective | None, dict[str, Promise], dict[str, int | None]]:
        """The policy in force, its targets as promises with their calendars, and each target's calendar version."""
        if policy_id is None:
            return None, {}, {}
        if policy_id not in self._promises:
            effective = next((p for p in self.policies if p.policy_id == policy_id), None)
            promises: dict[str, Promise] = {}
            versions: dict[str, int | None] = {}
            if effective is not None:
                for target in effective.targets:
                    wanted = target.business and target.calendar_id
                    found = self.calendars.at(target.calendar_id, self.at) if wanted else None
                    promises[target.kind] = Promise(target, found[1] if found else None)
                    versions[target.kind] = found[0] if found else None
            self._promises[policy_id] = (effective, promises, versions)
        return self._promises[policy_id]

    def signal(self, conversation_id: int, signal: Signal) -> None:
        """Run one lifecycle signal on a loaded conversation's clocks."""
        carried = self.convs[conversation_id]
        effective, promises, versions = self.promises(carried.policy_id)
        out = plan.react(promises, {k: t.clock for k, t in carried.open.items()}, signal)
        replaced: dict[str, Tracked] = {}
        for old in out.stopped:
            tracked = carried.open.pop(old.target)
            tracked.clock, tracked.dirty = old, True
            carried.closed.append(tracked)
            replaced[old.target] = tracked
        for kind, clock in out.clocks.items():
            tracked = carried.open.get(kind)
            if tracked is None:
                tracked = Tracked(clock, effective.policy_id, effective.version_id, versions.get(kind))
                carried.open[kind] = tracked
            tracked.clock, tracked.dirty = clock, True
        for kind, happened in out.happened:
            stopping = happened.name in ("sla.met", "sla.breached") and kind in replaced
            tracked = replaced[kind] if stopping else carried.open[kind]
            self._log.append(("clock", carried.id, tracked, happened, tracked.clock.due_at))
        for kind in [k for k, t in carried.open.items() if not t.clock.open]:
            carried.closed.append(carried.open.pop(kind))

    def apply_policy(self, conversation_id: int, effective: Effective | None, facts: plan.Facts, reason: str) -> bool:
        """Let `effective` (None: no policy) set the conversation's targets: the old policy's clocks are withdrawn,
        the new one's start from the facts' instants. False when it is the policy already applying."""
        carried = self.convs[conversation_id]
        new_id = effective.policy_id if effective is not None else None
        if new_id == carried.policy_id:
            return False
        previous = carried.policy_id
        if carried.open:
            self.signal(conversation_id, plan.Withdrawn(self.at))
        carried.policy_id, carried.policy_changed = new_id, True
        payload = {
            "policy_id": new_id,
            "previous_id": previous,
            "policy": effective and effective.name,
            "reason": reason,
        }
        self._log.append(("applied", carried.id, payload))
        if effective is not None:
            self.signal(conversation_id, plan.Applied(self.at, facts))
        return True

    def flush(self) -> None:
        """Write the new and changed clocks, their events and the conversations' nearest deadline."""
        stamp = now()
        conn = self.session.connection()
        every = [t for c in self.convs.values() for t in (*c.closed, *c.open.values())]
        fresh = [(c, t) for c in self.convs.values() for t in (*c.closed, *c.open.values()) if t.row_id is None]
        if fresh:
            new_rows = [rows.new_row(t.clock, c.id, t.version_id, t.calendar_version_id, stamp) for c, t in fresh]
            for (_, t), row_id in zip(fresh, insert_ids(conn, T, new_rows), strict=True):
                t.row_id, t.dirty = row_id, False
        changed = [t for t in every if t.dirty]
        if changed:
            rows.write(conn, [(t.row_id, t.clock) for t in changed], stamp)
            for t in changed:
                t.dirty = False
        self._record()
        self._deadlines()

    def _record(self) -> None:
        events = []
        for entry in self._log:
            carried = self.convs[entry[1]]
            ids = {"conversation_id": carried.id, "inbox_id": carried.inbox_id, "team_id": carried.team_id}
            if entry[0] == "applied":
                events.append(("sla.applied", SYSTEM, ids, entry[2]))
                continue
            _, _, tracked, happened, due = entry
            ids["occurred_at"] = happened.at
            events.append((happened.name, SYSTEM, ids, clock_payload(tracked, happened, due)))
        self._log = []
        record_many(self.session, events)

    def _deadlines(self) -> None:
        params = []
        for carried in self.convs.values():
            due = due_of(carried)
            if due == carried.due_at and not carried.policy_changed:
                continue
            carried.due_at, carried.policy_changed = due, False
            loaded = self.session.identity_map.get(identity_key(Conversation, carried.id))
            if loaded is not None:  # the ORM front-end's conversation: set it there, so its flush agrees
                loaded.sla_due_at, loaded.sla_policy_id = due, carried.policy_id
            else:
                params.append({"b_id": carried.id, "b_due": due, "b_policy": carried.policy_id})
        if not params:
            return
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            stamp = C.sla_due_at.type._cached_bind_processor(conn.dialect)
            columns = {
                "id": [p["b_id"] for p in params],
                "due": [stamp(p["b_due"]) for p in params],
                "policy": [p["b_policy"] for p in params],
            }
            conn.exec_driver_sql(_CONV_UPDATE_PG, columns)
        else:  # plain SQL, as rows.write does: SQLAlchemy's executemany costs more than the update
            due = C.sla_due_at.type._cached_bind_processor(conn.dialect)
            conn.exec_driver_sql(_CONV_UPDATE_SQLITE, [(due(p["b_due"]), p["b_policy"], p["b_id"]) for p in params])


def in_force(session: Session, at: datetime) -> list[Effective]:
    """The active policies in force at `at`, in the order they are tried, each with its version (sla.known: one
    stamp statement when nothing changed)."""
    return known.known(session)[0].in_force(at)


def clock_payload(tracked: Tracked, happened: Happened, due: datetime | None) -> dict:
    """The payload of a clock's event (sla.events.ClockEvent)."""
    return {
        "target": tracked.clock.target,
        "policy_id": tracked.policy_id,
        "clock_id": tracked.row_id,
        "due_at": due.isoformat() if due else None,
        "reason": happened.reason,
        "late_seconds": happened.late_seconds,
        "measured_seconds": happened.measured_seconds,
    }
