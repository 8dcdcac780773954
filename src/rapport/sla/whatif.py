"""What-if: replay a policy's condition and targets over the last N days of the event log, before saving it.

The conversations created in the window that the condition matches (checked in SQL on each conversation as it is
now: the log does not keep every field's past) are read with their lifecycle events in one statement, streamed in
(conversation, event) order, and each conversation's events are folded through `plan.react`, with `core.fire` at
each instant so a deadline that passed before the next event is a breach at its own instant. Calendars are parsed
once per version; a clock counts on the version in force when it starts, as the live clocks do.
"""

from __future__ import annotations

import bisect
import itertools
import json
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from rapport.conditions import model as conditions
from rapport.conditions import sql as condition_sql
from rapport.config import Settings, get_settings, use_settings
from rapport.db.engine import make_engine
from rapport.db.session import Database
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.calendar_spec import Calendar
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.models import CalendarVersion, Conversation, Event
from rapport.sla import core, plan, policies
from rapport.sla import targets as target_spec
from rapport.sla.core import Clock
from rapport.sla.tally import Outcomes
from rapport.sla.targets import LABELS, Target

BREACHES_SHOWN = 50  # the breached conversations a result lists (the total is given beside them)
STREAM_BATCH = 1000  # conversations per batch (their ids are one IN list)
SPLIT_MIN = 50_000  # conversations in the window from which RAPPORT_SLA_WHATIF_PROCESSES share the replay
WORKER_START = 8_000  # conversations one process replays in about the time a worker process takes to start
SIGNALS = (
    "message.received",
    "message.sent",
    "conversation.status_changed",
    "conversation.human_requested",
    "conversation.human_answered",
)
NOTE = (
    "The condition was checked against each conversation as it is now (its priority, team, tags and customer "
    "today), not as it was when it was created. Conversations merged into another are left out. A clock still "
    "running at the end of the window counts as breached when its deadline has passed, else as open."
)


@dataclass
class Tally(Outcomes):
    """One target's replayed clocks: how many were met and breached, and what the stopped ones measured."""

    kind: str
    met: int = 0
    breached: int = 0
    open: int = 0
    measured: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The target's name as pages show it."""
        return LABELS[self.kind]


@dataclass(frozen=True)
class Breach:
    """A conversation whose `target` the policy would have breached."""

    conversation_id: int
    subject: str
    target: str


@dataclass
class Result:
    """What the policy would have achieved over the window."""

    days: int
    since: datetime
    until: datetime
    conversations: int
    targets: list[Tally]
    breaches: list[Breach]
    breaches_total: int
    note: str = NOTE

    @property
    def breaches_shown(self) -> int:
        """How many breached conversations are listed (at most BREACHES_SHOWN)."""
        return len(self.breaches)


class Calendars:
    """The versions of the calendars the targets count on, each parsed once, looked up by instant."""

    def __init__(self, session: Session, ids: set[int]) -> None:
        self._starts: dict[int, list[datetime]] = {i: [] for i in ids}
        self._parsed: dict[int, list[Calendar]] = {i: [] for i in ids}
        if ids:
            query = select(CalendarVersion).where(CalendarVersion.calendar_id.in_(ids))
            for v in session.scalars(query.order_by(CalendarVersion.effective_from)):
                self._starts[v.calendar_id].append(v.effective_from)
                self._parsed[v.calendar_id].append(Calendar.from_dict(v.spec))
        for calendar_id, parsed in self._parsed.items():
            if not parsed:
                raise Invalid(
                    f"Calendar {calendar_id} has no business hours yet; give it hours before replaying on it.",
                    errors=[{"field": "targets", "message": f"calendar {calendar_id} has no hours"}],
                )

    @property
    def fixed(self) -> bool:
        """Whether every calendar has a single version (so the instant never changes which one counts)."""
        return all(len(parsed) == 1 for parsed in self._parsed.values())

    def at(self, calendar_id: int, at: datetime) -> tuple[int, Calendar]:
        """The version in force at `at` (the first one before any was), with its index."""
        index = max(0, bisect.bisect_right(self._starts[calendar_id], at) - 1)
        return index, self._parsed[calendar_id][index]


class Promises:
    """The policy's targets as `plan.Promise`s at an instant: each on its calendar's version in force then."""

    def __init__(self, targets: tuple[Target, ...], calendars: Calendars) -> None:
        self._targets = targets
        self._calendars = calendars
        self._cache: dict[tuple, dict[str, plan.Promise]] = {}
        self._fixed = None
        # Most calendars have one version in the window: then every clock counts on the same promises.
        self._fixed = self.at(datetime.min.replace(tzinfo=UTC)) if calendars.fixed else None

    def at(self, at: datetime) -> dict[str, plan.Promise]:
        """Promises for clocks starting at `at`."""
        if self._fixed is not None:
            return self._fixed
        picked = [self._calendars.at(t.calendar_id, at) if t.calendar_id else (None, None) for t in self._targets]
        key = tuple(i for i, _ in picked)
        if key not in self._cache:
            self._cache[key] = {t.kind: plan.Promise(t, cal) for t, (_, cal) in zip(self._targets, picked, strict=True)}
        return self._cache[key]


def replay(
    session: Session, actor: Actor, *, condition: dict | None, targets: list, days: int, shown: int = BREACHES_SHOWN
) -> Result:
    """What the condition and targets would have achieved over the last `days` days (nothing is written)."""
    authorize(actor, "admin")
    cap = get_settings().sla_whatif_max_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= cap:
        message = f"Replay 1 to {cap} days (RAPPORT_SLA_WHATIF_MAX_DAYS)."
        raise Invalid(message, errors=[{"field": "days", "message": message}])
    stored_condition, stored_targets = policies.checked_version(session, condition, targets)
    node = conditions.parse(stored_condition)
    parsed = tuple(target_spec.parse_one(t, i) for i, t in enumerate(stored_targets))
    calendars = Calendars(session, {t.calendar_id for t in parsed if t.calendar_id})  # refuses one with no hours
    until = now()
    since = until - timedelta(days=days)
    ranges = _ranges(session, since, until)
    if len(ranges) == 1:
        parts = [_replay_range(session, node, parsed, calendars, since, until, until, shown)]
    else:
        parts = _replay_ranges(session, stored_condition, parsed, calendars, ranges, until, shown)
    tallies = {t.kind: Tally(t.kind) for t in parsed}
    breached: list[tuple[int, str]] = []
    for part in parts:  # in window order: the breaches listed are the first ones, as one process would list them
        for kind, tally in part.tallies.items():
            tallies[kind].met += tally.met
            tallies[kind].breached += tally.breached
            tallies[kind].open += tally.open
            tallies[kind].measured += tally.measured
        breached += part.breached
    return Result(
        days=days,
        since=since,
        until=until,
        conversations=sum(part.conversations for part in parts),
        targets=[tallies[t.kind] for t in parsed],
        breaches=_named(session, breached[:shown]),
        breaches_total=sum(part.breaches_total for part in parts),
    )


@dataclass
class Part:
    """One range of the window replayed: its clocks' tallies and its first `shown` breaches."""

    conversations: int
    tallies: dict[str, Tally]
    breached: list[tuple[int, str]]
    breaches_total: int


def _replay_range(
    session: Session, node, targets: tuple[Target, ...], calendars: Calendars, lo: datetime, hi: datetime,
    until: datetime, shown: int,
) -> Part:  # fmt: skip
    """The conversations created in [lo, hi) replayed up to `until`."""
    promises = Promises(targets, calendars)
    tallies = {t.kind: Tally(t.kind) for t in targets}
    breached: list[tuple[int, str]] = []
    conversations = total = 0
    met, breach, cancelled = core.MET, core.BREACHED, core.CANCELLED
    for conversation_id, created_at, rows in _stream(session, node, lo, until, before=hi):
        conversations += 1
        for clock in _fold(promises, created_at, rows, until):
            state = clock.state
            if state == met:
                tally = tallies[clock.target]
                tally.met += 1
                tally.measured.append(clock.measured)
            elif state == breach:
                tally = tallies[clock.target]
                tally.breached += 1
                total += 1
                if total <= shown:
                    breached.append((conversation_id, clock.target))
                if clock.measured is not None:
                    tally.measured.append(clock.measured)
            elif state != cancelled:
                tallies[clock.target].open += 1
    return Part(conversations, tallies, breached, total)


def _ranges(session: Session, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The window cut into RAPPORT_SLA_WHATIF_PROCESSES ranges of creation time with about as many conversations
    each (the first a little more), or left whole when it has fewer than SPLIT_MIN (a worker process takes about a
    second to start)."""
    processes = min(get_settings().sla_whatif_processes, os.cpu_count() or 1)
    url = session.get_bind().url
    if processes < 2 or (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")):
        return [(since, until)]
    c = Conversation.__table__.c
    window = (c.created_at >= since, c.created_at < until)
    count = session.scalar(select(func.count()).select_from(Conversation).where(*window)) or 0
    if count < SPLIT_MIN:
        return [(since, until)]
    ordered = select(c.created_at).where(*window).order_by(c.created_at, c.id).limit(1)
    # This process starts on its range at once, while each worker first spends about a second importing: so it
    # takes WORKER_START conversations more than the others, and they all finish at about the same time.
    lead = min(WORKER_START, count // processes)
    cuts = [session.scalar(ordered.offset(lead + (count - lead) * i // processes)) for i in range(1, processes)]
    if None in cuts:  # deleted meanwhile: not worth a second look
        return [(since, until)]
    return list(itertools.pairwise([since, *cuts, until]))


def _replay_ranges(
    session: Session, condition: dict, targets: tuple[Target, ...], calendars: Calendars,
    ranges: list[tuple[datetime, datetime]], until: datetime, shown: int,
) -> list[Part]:  # fmt: skip
    """The first range replayed here while worker processes (spawned: this process runs threads) replay the rest,
    each on its own connection to the same database."""
    url = session.get_bind().url.render_as_string(hide_password=False)
    settings = get_settings()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(ranges) - 1, mp_context=context) as pool:
        futures = [
            pool.submit(_replay_elsewhere, url, settings, condition, targets, lo, hi, until, shown)
            for lo, hi in ranges[1:]
        ]
        node = conditions.parse(condition)
        parts = [_replay_range(session, node, targets, calendars, *ranges[0], until, shown)]
        for (lo, hi), future in zip(ranges[1:], futures, strict=True):
            try:
                parts.append(future.result())
            except BrokenProcessPool:  # a worker that could not start or was killed: its range is replayed here
                parts.append(_replay_range(session, node, targets, calendars, lo, hi, until, shown))
        return parts


def _replay_elsewhere(
    url: str, settings: Settings, condition: dict, targets: tuple[Target, ...], lo: datetime, hi: datetime,
    until: datetime, shown: int,
) -> Part:  # fmt: skip
    """One range replayed in a worker process."""
    use_settings(settings)
    engine = make_engine(url, pool_size=1)
    try:
        with Database(engine).read() as session:
            calendars = Calendars(session, {t.calendar_id for t in targets if t.calendar_id})
            return _replay_range(session, conditions.parse(condition), targets, calendars, lo, hi, until, shown)
    finally:
        engine.dispose()


def _stream(
    session: Session, node, since: datetime, until: datetime, *, before: datetime | None = None
) -> Iterator[tuple[int, datetime, list]]:
    """Each matching conversation created from `since` to `until` (or `before`) with its lifecycle events up to
    `until` in order, read in batches.

    Keyset batches (by creation time, then id: the order of ix_conversations_created), not a server-side cursor:
    PostgreSQL reads run in autocommit, where a cursor cannot stay open, and each batch is one short statement.
    """
    c, e = Conversation.__table__.c, Event.__table__.c
    matching = (c.created_at < (before or until), c.merged_into_id.is_(None), condition_sql.bound(node))
    lower = c.created_at >= since
    signal_names = e.name.in_(SIGNALS)
    if session.get_bind().dialect.name == "sqlite":
        # `name || ''` keeps SQLite off ix_events_name: given a long IN list of ids, its planner (without
        # statistics) prefers the five names and reads every signal event in the table for each batch (the
        # replay of 165,000 conversations took 93 s of CPU to read). PostgreSQL weighs them by its statistics,
        # and the same expression there would hide the names' selectivity from it.
        signal_names = e.name.concat("").in_(SIGNALS)
    while True:
        query = select(c.id, c.created_at).where(lower, *matching).order_by(c.created_at, c.id)
        batch = session.execute(query.limit(STREAM_BATCH)).all()
        if not batch:
            return
        last_id, last_at = batch[-1]
        # The keyset as a range on created_at (SQLite bounds an index scan by a plain column comparison, not by a
        # row value), so each batch starts where the last one stopped instead of at the start of the window.
        lower = and_(c.created_at >= last_at, or_(c.created_at > last_at, c.id > last_id))
        events = session.execute(
            # The payload as text, parsed only for the status changes that need it (the other events need none).
            select(e.conversation_id, e.id, e.name, e.occurred_at, e.actor_kind, cast(e.payload, Text))
            .where(e.conversation_id.in_([r[0] for r in batch]), signal_names, e.occurred_at <= until)
            .order_by(e.conversation_id, e.id)
        ).all()  # all at once: fetched row by row, each costs twice as much
        by_conversation = {key: list(rows) for key, rows in groupby(events, key=itemgetter(0))}
        for conversation_id, created_at in batch:
            yield conversation_id, created_at, by_conversation.get(conversation_id, [])
        if len(batch) < STREAM_BATCH:
            return


@lru_cache(maxsize=256)
def _move(payload: str | None) -> tuple[str | None, str | None]:
    """A status change's payload as (from, to); the few distinct payloads are parsed once each."""
    moved = json.loads(payload) if payload else {}
    return moved.get("from"), moved.get("to")


def _fold(promises: Promises, created_at: datetime, rows: list, until: datetime) -> list[Clock]:
    """Every clock the policy would have run on one conversation, as it stood at `until`."""
    status, replied = "new", False
    clocks: dict[str, Clock] = {}
    done: list[Clock] = []
    fire, react, promised = core.fire, plan.react, promises.at
    signal: plan.Signal = plan.Applied(created_at, plan.Facts(status=status, created_at=created_at))
    rows_left = iter(rows)
    while True:
        at = signal.at
        for kind, clock in clocks.items():  # (a value replaced in place: the dict keeps its size while iterated)
            due = clock.next_at
            if due is not None and due <= at:  # a warning or a deadline came before this signal
                clocks[kind] = fire(clock, at)[0]
        out = react(promised(at), clocks, signal)
        done += out.stopped
        for kind, clock in out.clocks.items():
            if clock.open:
                clocks[kind] = clock
            else:
                clocks.pop(kind, None)
                done.append(clock)
        # The next signal (events that are none are skipped); the status and "a person replied" follow them.
        signal = None
        for _, _, name, at, actor_kind, payload in rows_left:
            if name == "message.received":
                signal = plan.CustomerWrote(at, status, replied)
            elif name == "message.sent":
                # An auto-reply or a system message keeps no promise: only a person's reply does.
                if actor_kind == "agent":
                    signal = plan.PersonReplied(at, status)
                    replied = True
            elif name == "conversation.status_changed":
                was, to = _move(payload)
                signal = plan.StatusMoved(at, str(was or status), str(to or status))
                status = signal.to
            elif name == "conversation.human_requested":
                signal = plan.HumanAsked(at, status)
            elif name == "conversation.human_answered":
                signal = plan.HumanAnswered(at)
            if signal is not None:
                break
        if signal is None:
            return done + [fire(clock, until)[0] for clock in clocks.values()]


def _named(session: Session, breached: list[tuple[int, str]]) -> list[Breach]:
    ids = {conversation_id for conversation_id, _ in breached}
    query = select(Conversation.id, Conversation.subject).where(Conversation.id.in_(ids))
    subjects = dict(session.execute(query).all())
    return [Breach(cid, subjects.get(cid) or "", target) for cid, target in breached]
