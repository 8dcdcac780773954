"""Which clocks a policy runs on a conversation, and what each thing that happens to the conversation does to them.

Pure: `react(targets, clocks, signal)` takes the policy's targets (each with the calendar it counts on), the
conversation's open clocks by target, and one signal from the lifecycle, and returns the clocks as they are after
it (new ones included) with what they did. The runtime (sla.runtime) reads and writes the rows around it; the
what-if replay (sla.whatif) folds it over history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rapport.kit.calendar_spec import Calendar
from rapport.sla import core
from rapport.sla.core import Clock, Happened
from rapport.sla.targets import Target

ACTIVE = frozenset({"new", "open", "pending", "on_hold"})
DONE = frozenset({"solved", "closed"})


@dataclass(frozen=True, slots=True)
class Facts:
    """What the plan needs to know of the conversation when a policy (re)applies."""

    status: str
    created_at: datetime
    first_reply_at: datetime | None = None
    last_reply_at: datetime | None = None  # the last reply by a person
    waiting_since: datetime | None = None  # the oldest customer message not answered by a person
    human_requested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """A policy starts to apply (a new conversation, or another policy now matches): start what it promises."""

    at: datetime
    facts: Facts


@dataclass(frozen=True, slots=True)
class CustomerWrote:
    """A customer's message at `at`, with the status after it and whether a person has replied before."""

    at: datetime
    status: str
    replied: bool = True


@dataclass(frozen=True, slots=True)
class PersonReplied:
    """A reply by a person (not an auto-reply, not a note) at `at`, with the status after it."""

    at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class StatusMoved:
    """The status moved from `from_` to `to` at `at`."""

    at: datetime
    from_: str
    to: str


@dataclass(frozen=True, slots=True)
class HumanAsked:
    """The customer asked for a person at `at`."""

    at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class HumanAnswered:
    """A person took the conversation that asked for one, at `at`."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The policy no longer applies (another matched, or the conversation was merged away): cancel its clocks."""

    at: datetime


Signal = Applied | CustomerWrote | PersonReplied | StatusMoved | HumanAsked | HumanAnswered | Withdrawn


@dataclass(frozen=True, slots=True)
class Promise:
    """A target with the calendar it counts on (None: around the clock)."""

    target: Target
    calendar: Calendar | None = None


@dataclass
class Outcome:
    """The clocks after a signal, by target (those that changed or started), and what they did."""

    clocks: dict[str, Clock] = field(default_factory=dict)
    stopped: list[Clock] = field(default_factory=list)  # closed clocks replaced by a new one of the same target
    happened: list[tuple[str, Happened]] = field(default_factory=list)

    def put(self, clock: Clock, did: list[Happened]) -> None:
        """Record a clock's new value and what it did."""
        self.clocks[clock.target] = clock
        self.happened += [(clock.target, h) for h in did]


def _start(promise: Promise, at: datetime, status: str) -> Clock:
    pause = status if status in promise.target.pause_on else None
    t = promise.target
    return core.start(t.kind, t.seconds, at, calendar=promise.calendar, warn_share=t.warn_share, paused_by=pause)


def react(promises: dict[str, Promise], clocks: dict[str, Clock], signal: Signal) -> Outcome:
    """The clocks after `signal`: `clocks` are the conversation's open clocks by target kind."""
    out = Outcome()
    if isinstance(signal, Applied):
        _applied(promises, clocks, signal, out)
    elif isinstance(signal, CustomerWrote):
        # A next reply is owed once a person has replied; while a first-reply clock runs, it covers the wait.
        owed = signal.replied and "first_reply" not in clocks and "next_reply" not in clocks
        if owed and signal.status in ACTIVE and "next_reply" in promises:
            out.put(_start(promises["next_reply"], signal.at, signal.status), [])
    elif isinstance(signal, PersonReplied):
        for kind in ("first_reply", "next_reply", "periodic_update"):
            if kind in clocks:
                out.put(*core.stop(clocks[kind], signal.at))
        if "periodic_update" in promises and signal.status in ACTIVE:
            if "periodic_update" in clocks:
                out.stopped.append(out.clocks.pop("periodic_update"))
            out.put(_start(promises["periodic_update"], signal.at, signal.status), [])
    elif isinstance(signal, StatusMoved):
        _moved(promises, clocks, signal, out)
    elif isinstance(signal, HumanAsked):
        if "human" in promises and "human" not in clocks and signal.status in ACTIVE:
            out.put(_start(promises["human"], signal.at, signal.status), [])
    elif isinstance(signal, HumanAnswered):
        if "human" in clocks:
            out.put(*core.stop(clocks["human"], signal.at))
    elif isinstance(signal, Withdrawn):
        for clock in clocks.values():
            out.put(core.cancel(clock, signal.at), [])
    return out


def _applied(promises: dict[str, Promise], clocks: dict[str, Clock], signal: Applied, out: Outcome) -> None:
    facts = signal.facts
    if facts.status not in ACTIVE:
        return
    starts = {
        "first_reply": facts.created_at if facts.first_reply_at is None else None,
        "next_reply": facts.waiting_since if facts.first_reply_at is not None else None,
        "periodic_update": facts.last_reply_at or facts.created_at,
        "resolution": facts.created_at,
        "human": facts.human_requested_at,
    }
    for kind, promise in promises.items():
        begun = starts.get(kind)
        if begun is None or kind in clocks:
            continue
        clock = _start(promise, begun, facts.status)
        # A clock that starts in the past has counted since; it pauses now if the status holds it.
        if clock.counting and facts.status in promise.target.pause_on:
            clock, _ = core.pause(clock, signal.at, facts.status)
        out.put(clock, [])


def _moved(promises: dict[str, Promise], clocks: dict[str, Clock], signal: StatusMoved, out: Outcome) -> None:
    at, to = signal.at, signal.to
    if to in DONE:
        for kind, clock in clocks.items():
            if kind == "resolution":
                out.put(*core.stop(clock, at))
            else:
                out.put(core.cancel(clock, at), [])
        return
    for kind, clock in clocks.items():
        pause_on = promises[kind].target.pause_on if kind in promises else ()
        if to in pause_on and clock.counting:
            out.put(*core.pause(clock, at, to))
        elif to not in pause_on and not clock.counting:
            out.put(*core.resume(clock, at))
    if signal.from_ in DONE and to in ACTIVE and "resolution" in promises and "resolution" not in clocks:
        # A reopened conversation starts a fresh resolution clock from now, not an instant escalation.
        out.put(_start(promises["resolution"], at, to), [])
