"""Service targets as people read them: each clock's promise, deadline and time left (or late by), in words.

Pure: rows and the time in, plain data out, so the inbox, the conversation page, the API and tests say the same
thing. Every state has a word as well as a CSS class: colour is never the only signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rapport.kit.clock import zone_or_utc
from rapport.sla.targets import KINDS, LABELS

# state -> (word, css class); "due soon" and a running clock past its deadline are worked out from the times.
WORDS = {
    "running": ("On track", "sla-ok"),
    "warned": ("Due soon", "sla-warn"),
    "breached": ("Breached", "sla-late"),
    "paused": ("Paused", "sla-paused"),
    "met": ("Met", "sla-met"),
    "cancelled": ("Cancelled", "sla-off"),
}
_ORDER = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class ClockView:
    """One clock as the conversation page and the API show it."""

    id: int
    target: str
    label: str
    state: str
    word: str
    css: str
    goal: str
    due_at: datetime | None
    due_local: str
    summary: str
    seconds_left: int | None
    business: bool
    paused_reason: str | None
    # Its deadline moves on with the clock (running, or breached and not stopped): pages keep the words fresh.
    counting: bool = False


@dataclass(frozen=True)
class DueCell:
    """A list row's nearest deadline: the instant, in the agent's timezone, and how near it is in words."""

    due_at: datetime
    local: str
    summary: str
    word: str
    css: str


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def local(value: datetime | None, tz: str | None) -> str:
    """An instant in the agent's timezone, e.g. 'Mon 02 Nov 14:05 CET' (empty for none)."""
    value = _aware(value)
    return value.astimezone(zone_or_utc(tz)).strftime("%a %d %b %H:%M %Z") if value is not None else ""


def span(seconds: float) -> str:
    """A length of time, short: '<1 min', '25 min', '1 h 5 min', '2 days 3 h'."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "<1 min"
    minutes = seconds // 60
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    return f"{mins} min"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'s' if n != 1 else ''}"


def goal(seconds: int, *, business: bool) -> str:
    """A target's length in words: '4 business hours', '30 business minutes', '1 day', '2 hours 30 minutes'.

    Business time is never said in days: a business day is as long as the calendar says, which varies.
    """
    hours, minutes = divmod(seconds // 60, 60)
    if business:
        if seconds % 3600 == 0:
            return _plural(hours, "business hour")
        if seconds % 60 == 0 and hours == 0:
            return _plural(minutes, "business minute")
        return f"{span(seconds)} of business time"
    if seconds % 86400 == 0:
        return _plural(seconds // 86400, "day")
    if seconds % 60 == 0:
        parts = ([_plural(hours, "hour")] if hours else []) + ([_plural(minutes, "minute")] if minutes else [])
        return " ".join(parts)
    return span(seconds)


def _warned(clock, at: datetime) -> bool:
    warn_at = _aware(clock.warn_at)
    return clock.warned_at is not None or (warn_at is not None and warn_at <= at)


def clock_view(clock, *, now: datetime, tz: str | None = None) -> ClockView:
    """One clock (an SlaClock or a row with its columns) in words, as of `now`.

    Time left of a running clock is its deadline less now; of a paused one, the target less what it has spent, in
    the clock's own units (business seconds when it counts on a calendar).
    """
    due_at = _aware(clock.due_at)
    state, left, reason = clock.state, None, clock.paused_reason
    counting = due_at is not None and (state == "running" or (state == "breached" and clock.stopped_at is None))
    if state == "running" and due_at is not None:
        left = int((due_at - now).total_seconds())
        if left <= 0:  # the due-time job has not got to it yet: it is late all the same
            key, summary = "breached", f"late by {span(-left)}"
        else:
            key, summary = ("warned" if _warned(clock, now) else "running"), f"due in {span(left)}"
    elif state == "running":
        key, summary = "running", "running"
    elif state == "breached":
        if clock.stopped_at is None and due_at is not None:
            left = int((due_at - now).total_seconds())
        elif clock.measured_seconds is not None:
            left = clock.target_seconds - clock.measured_seconds
        key, summary = "breached", f"late by {span(-left)}" if left is not None else "breached"
    elif state == "paused":
        left = clock.target_seconds - (clock.spent_seconds or 0)
        why = f" ({reason.replace('_', ' ')})" if reason else ""
        key, summary = "paused", f"paused{why}, " + (f"{span(left)} left" if left > 0 else f"late by {span(-left)}")
    elif state == "met":
        measured = clock.measured_seconds
        key, summary = "met", f"met in {span(measured)}" if measured is not None else "met"
    else:
        key, summary = "cancelled", "no longer applies"
    word, css = WORDS[key]
    return ClockView(
        id=clock.id,
        target=clock.target,
        label=LABELS.get(clock.target, clock.target.replace("_", " ").capitalize()),
        state=state,
        word=word,
        css=css,
        goal=goal(clock.target_seconds, business=clock.calendar_version_id is not None),
        due_at=due_at,
        due_local=local(due_at, tz) if state in ("running", "breached") else "",
        summary=summary,
        seconds_left=left,
        business=clock.calendar_version_id is not None,
        paused_reason=reason if state == "paused" else None,
        counting=counting,
    )


def clock_views(clocks, *, now: datetime, tz: str | None = None) -> list[ClockView]:
    """Clocks in words, in the order pages list the targets (first reply, next reply … then newest first)."""
    ordered = sorted(clocks, key=lambda c: (_ORDER.get(c.target, len(_ORDER)), -c.id))
    return [clock_view(c, now=now, tz=tz) for c in ordered]


def due_cell(due_at: datetime | None, warn_at: datetime | None, *, now: datetime, tz: str | None) -> DueCell | None:
    """A list row's nearest deadline (None without one): late, due soon (a clock's warning time has come) or on
    track, with the time left or late by."""
    due_at, warn_at = _aware(due_at), _aware(warn_at)
    if due_at is None:
        return None
    left = int((due_at - now).total_seconds())
    if left <= 0:
        key, summary = "breached", f"late by {span(-left)}"
    else:
        key, summary = ("warned" if warn_at is not None and warn_at <= now else "running"), f"due in {span(left)}"
    word, css = WORDS[key]
    return DueCell(due_at, local(due_at, tz), summary, word, css)
