"""Business-time arithmetic on a `Calendar`: deadlines (add), elapsed business time (between), is_open, next_open.

Pure functions over immutable calendars. Speed comes from precompiling: the calendar's local opening hours, for a
range of whole local years, become one sorted table of merged open intervals in UTC epoch seconds with the
cumulative open seconds before each interval. A deadline is then two binary searches — find the open seconds
"spent" up to the start, add the target, find the interval where that cumulative count is reached — however long
the target, so no week-skipping loop is needed. The table hangs off the calendar object (and an LRU keyed by the
calendar's value, so an equal calendar read again from JSON shares it) and grows by whole years on demand.

Rules (docs/business-time.md): open intervals are half-open [start, end); an interval belongs to the local date it
starts on (an overnight shift from a Thursday runs into a Friday holiday); a wall-clock time in a DST gap is read
with the offset before the change (fold=0: 01:30 on a spring-forward night is 02:30 summer time), and an ambiguous
time in a fold is its first occurrence; a day's own date entry replaces its weekday hours and wins over a public
holiday; closures are cut out of whatever is open.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from rapport.kit.calendar_spec import DAY, Calendar, CalendarError, NoOpenTime, TargetOutOfRange

MAX_TARGET_SECONDS = 366 * 86400  # a target "up to a year" (a leap year's worth of business seconds)
HORIZON_YEARS = 10  # how far past the start a deadline or next opening is looked for before NoOpenTime
MAX_SPAN_YEARS = 60  # the widest range of years one table covers (between() over decades is refused)


class _Table:
    """Merged open intervals in UTC epoch seconds over local years [y0, y1], with cumulative open seconds."""

    __slots__ = ("y0", "y1", "lo", "hi", "starts", "ends", "cum", "cum_end")

    def __init__(self, y0: int, y1: int, lo: int, hi: int, spans: list[tuple[int, int]]) -> None:
        self.y0, self.y1, self.lo, self.hi = y0, y1, lo, hi
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]
        cum, total = [], 0
        for s, e in spans:
            cum.append(total)
            total += e - s
        self.cum = cum
        self.cum_end = [c + e - s for c, (s, e) in zip(cum, spans, strict=True)]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping or touching spans."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(spans: list[tuple[int, int]], cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans minus cuts (both sorted and merged)."""
    if not cuts:
        return spans
    out, j = [], 0
    for s, e in spans:
        cur = s
        while j < len(cuts) and cuts[j][1] <= cur:
            j += 1
        k = j
        while k < len(cuts) and cuts[k][0] < e:
            cs, ce = cuts[k]
            if cs > cur:
                out.append((cur, cs))
            cur = max(cur, ce)
            if ce >= e:
                break
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


class Compiled:
    """A calendar's precompiled form: 24/7 flag and a year table that grows on demand (thread-safe)."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.tz = calendar.tz
        self.always = calendar.is_always_open
        self.table: _Table | None = None
        self._lock = threading.Lock()
        self._overrides = {o.date: o.hours for o in calendar.dates}
        self._cuts = _merge(
            [(math.floor(c.start.timestamp()), math.ceil(c.end.timestamp())) for c in calendar.closures]
        )

    def _local_epoch(self, d: date, minute: int) -> int:
        if minute >= DAY:
            d, minute = d + timedelta(days=1), minute - DAY
        # fold=0 (the default): a gap time takes the offset before the change, a fold time its first occurrence
        return int(datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=self.tz).timestamp())

    def _build(self, y0: int, y1: int) -> _Table:
        cal = self.calendar
        holidays = cal.holidays.dates(range(y0 - 1, y1 + 1)) if cal.holidays else set()
        spans: list[tuple[int, int]] = []
        day, last = date(y0, 1, 1) - timedelta(days=1), date(y1, 12, 31)
        one = timedelta(days=1)
        while day <= last:
            hours = self._overrides.get(day)
            if hours is None:
                hours = () if day in holidays else cal.weekly[day.weekday()]
            for iv in hours:
                s = self._local_epoch(day, iv.start)
                e = self._local_epoch(day, iv.end + DAY if iv.overnight else iv.end)
                if e > s:  # a wall-clock interval swallowed by a DST gap has no open time
                    spans.append((s, e))
            day += one
        lo, hi = self._local_epoch(date(y0, 1, 1), 0), self._local_epoch(date(y1 + 1, 1, 1), 0)
        merged = _subtract(_merge(spans), self._cuts)
        clipped = [(max(s, lo), min(e, hi)) for s, e in merged if e > lo and s < hi]
        return _Table(y0, y1, lo, hi, clipped)

    def _year(self, t: float) -> int:
        try:
            return datetime.fromtimestamp(t, self.tz).year
        except (OverflowError, OSError, ValueError):
            raise CalendarError(f"instant {t} is outside the supported range of dates") from None

    def cover(self, t0: float, t1: float | None = None) -> _Table:
        """A table covering the instants t0..t1 (t1 defaults to t0), built or widened by whole years."""
        tab = self.table
        t1 = t0 if t1 is None else t1
        if tab is not None and tab.lo <= t0 and t1 < tab.hi:
            return tab
        with self._lock:
            tab = self.table
            if tab is not None and tab.lo <= t0 and t1 < tab.hi:
                return tab
            need0, need1 = self._year(t0), self._year(t1)
            if need1 - need0 > MAX_SPAN_YEARS or not (need0 >= 2 and need1 <= 9997):
                raise TargetOutOfRange(
                    f"a computation over years {need0}..{need1} is too wide (at most {MAX_SPAN_YEARS} years)"
                )
            y0, y1 = need0, need1 + 1  # most deadlines cross into the next year sooner or later
            if tab is not None and max(y1, tab.y1) - min(y0, tab.y0) <= MAX_SPAN_YEARS:
                y0, y1 = min(y0, tab.y0), max(y1, tab.y1)  # widen; far-apart instants replace the table instead
            self.table = tab = self._build(y0, y1)
            return tab

    def extend(self, tab: _Table, start_year: int) -> _Table:
        """Widen the table two years forward; NoOpenTime beyond the horizon from start_year."""
        if tab.y1 >= start_year + HORIZON_YEARS:
            raise NoOpenTime(f"the calendar has no (or not enough) open time within {HORIZON_YEARS} years")
        with self._lock:
            current = self.table  # another thread may have widened it already (or replaced it: then rebuild)
            if current is not None and current.y0 <= tab.y0 and current.y1 > tab.y1:
                return current
            self.table = new = self._build(tab.y0, min(tab.y1 + 2, start_year + HORIZON_YEARS))
            return new


@lru_cache(maxsize=256)
def _compiled_for(calendar: Calendar) -> Compiled:
    return Compiled(calendar)


def compiled(calendar: Calendar) -> Compiled:
    """The calendar's compiled form, attached to the object (equal calendars share one through an LRU)."""
    c = calendar._compiled
    if c is None:
        c = _compiled_for(calendar)
        object.__setattr__(calendar, "_compiled", c)
    return c


def _aware(instant: datetime, name: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def add_business_seconds(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The deadline: the earliest instant by which `seconds` of open time have passed since `start`."""
    c = calendar._compiled or compiled(calendar)
    if not 0 <= seconds <= MAX_TARGET_SECONDS:
        raise TargetOutOfRange(f"a target must be between 0 and {MAX_TARGET_SECONDS} seconds (one year), not {seconds}")
    tzinfo = start.tzinfo
    if tzinfo is None:
        _aware(start, "start")
    if c.always:  # calendar time: exact plain addition in absolute time
        if tzinfo is UTC:
            return start + timedelta(seconds=seconds)
        return (start.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(tzinfo)
    if not seconds:
        return start
    t = start.timestamp()
    tab = c.table
    if tab is None or not tab.lo <= t < tab.hi:
        tab = c.cover(t)
    while True:
        starts = tab.starts
        i = bisect_right(starts, t) - 1
        if i < 0:
            target = seconds
        elif t < tab.ends[i]:
            target = tab.cum[i] + (t - starts[i]) + seconds
        else:
            target = tab.cum_end[i] + seconds
        j = bisect_left(tab.cum_end, target)
        if j < len(starts):
            return datetime.fromtimestamp(starts[j] + (target - tab.cum[j]), tzinfo)
        tab = c.extend(tab, c._year(t))


def _spent(tab: _Table, t: float) -> float:
    """Open seconds in the table before instant t."""
    i = bisect_right(tab.starts, t) - 1
    if i < 0:
        return 0
    if t < tab.ends[i]:
        return tab.cum[i] + (t - tab.starts[i])
    return tab.cum_end[i]


def business_seconds_between(calendar: Calendar, a: datetime, b: datetime) -> float:
    """Open seconds from a to b (negative when b is before a), to the microsecond."""
    c = calendar._compiled or compiled(calendar)
    _aware(a, "a")
    _aware(b, "b")
    if c.always:
        return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()
    ta, tb = a.timestamp(), b.timestamp()
    if tb < ta:
        return -business_seconds_between(calendar, b, a)
    tab = c.cover(ta, tb)
    return round(_spent(tab, tb) - _spent(tab, ta), 6)


def is_open(calendar: Calendar, instant: datetime) -> bool:
    """Whether the calendar is open at this instant (intervals are [start, end))."""
    c = calendar._compiled or compiled(calendar)
    _aware(instant, "instant")
    if c.always:
        return True
    t = instant.timestamp()
    tab = c.cover(t)
    i = bisect_right(tab.starts, t) - 1
    return i >= 0 and t < tab.ends[i]


def next_open(calendar: Calendar, instant: datetime) -> datetime:
    """The instant itself when open, else the next opening (NoOpenTime if none within the horizon)."""
    c = calendar._compiled or compiled(calendar)
    _aware(instant, "instant")
    if c.always:
        return instant
    t = instant.timestamp()
    tab = c.cover(t)
    while True:
        i = bisect_right(tab.starts, t) - 1
        if i >= 0 and t < tab.ends[i]:
            return instant
        if i + 1 < len(tab.starts):
            return datetime.fromtimestamp(tab.starts[i + 1], instant.tzinfo)
        tab = c.extend(tab, c._year(t))


def open_intervals(calendar: Calendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The open intervals overlapping [start, end), clipped to it, in UTC (for week grids and tests)."""
    _aware(start, "start")
    _aware(end, "end")
    if calendar.is_always_open:
        return [(start.astimezone(UTC), end.astimezone(UTC))] if end > start else []
    ta, tb = start.timestamp(), end.timestamp()
    tab = compiled(calendar).cover(ta, tb)
    i = max(bisect_right(tab.starts, ta) - 1, 0)
    out = []
    while i < len(tab.starts) and tab.starts[i] < tb:
        s, e = max(tab.starts[i], ta), min(tab.ends[i], tb)
        if e > s:
            out.append((datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)))
        i += 1
    return out
