"""Business-time deadlines per second (kit.business_time) beside the floor of plain datetime + timedelta addition.

Realistic mixes: an office calendar with its country's holidays and its own dates, split shifts, overnight shifts
across DST in Australia/Lord_Howe, 24/7, and all of them interleaved; targets from 5 minutes to 3 days of business
time, starts spread over a year (aware UTC datetimes, as clocks store them). Each figure is the best of --repeat
runs of --n computations on one core; the CPU column is the process's own time, which a busy machine stretches
less than the wall clock. The year tables are built before timing (their one-off cost is reported as `compile_ms`).
Prints a table and writes JSON to bench/results/.

    .venv/bin/python bench/business_time.py --n 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapport.kit.business_time import add_business_seconds, business_seconds_between, compiled
from rapport.kit.calendar_spec import Calendar

BENCH = Path(__file__).resolve().parent
TARGET_RATE = 200_000  # deadline computations per second on one core (issue #15)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
TARGETS = (300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400)  # business seconds


def calendars() -> dict[str, Calendar]:
    """The calendars of the mixes."""
    return {
        "office+holidays": Calendar.from_dict(
            {
                "timezone": "Europe/London",
                "weekly": {d: ["09:00-17:30"] for d in WEEKDAYS},
                "holidays": {"country": "GB", "subdivision": "ENG"},
                "dates": [
                    {"date": "2026-12-24", "hours": ["09:00-13:00"]},
                    {"date": "2026-12-31", "hours": ["09:00-13:00"]},
                    {"date": "2026-08-14", "hours": []},
                ],
            }
        ),
        "split shifts": Calendar.from_dict(
            {
                "timezone": "America/New_York",
                "weekly": {**{d: ["08:00-12:00", "13:00-18:00"] for d in WEEKDAYS}, "sat": ["10:00-14:00"]},
                "holidays": {"country": "US"},
            }
        ),
        "overnight": Calendar.from_dict(
            {
                "timezone": "Australia/Lord_Howe",
                "weekly": {d: ["06:00-14:00", "22:00-06:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
                "holidays": {"country": "AU", "subdivision": "NSW"},
            }
        ),
        "24/7": Calendar.always_open("Europe/Berlin"),
    }


def workload(n: int, seed: int) -> list[tuple[datetime, int]]:
    """n (start, target) pairs: starts uniform over 2026 with microseconds, targets from the realistic list."""
    rng = random.Random(seed)
    lo = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    span = 365 * 86400
    return [(datetime.fromtimestamp(lo + rng.random() * span, UTC), rng.choice(TARGETS)) for _ in range(n)]


def timed(fn, repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds of `repeat` runs of fn()."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    return min(walls), min(cpus)


def measure(n: int, repeat: int, seed: int) -> dict:
    """Every mix and the floor, in one run."""
    cals = calendars()
    work = workload(n, seed)
    compile_ms = {}
    for name, cal in cals.items():
        started = time.perf_counter()
        compiled(cal).cover(work[0][0].timestamp() - 400 * 86400, work[0][0].timestamp() + 4 * 365 * 86400)
        compile_ms[name] = round((time.perf_counter() - started) * 1000, 1)
    deltas = [(t, timedelta(seconds=s)) for t, s in work]

    def floor() -> None:
        for t, s in work:
            t + timedelta(seconds=s)

    def floor_prebuilt() -> None:
        for t, d in deltas:
            t + d

    rows = {}
    wall, cpu = timed(floor, repeat)
    rows["floor: datetime + timedelta(seconds=s)"] = (wall, cpu)
    rows["floor: datetime + prebuilt timedelta"] = timed(floor_prebuilt, repeat)
    add = add_business_seconds
    for name, cal in cals.items():

        def run(cal: Calendar = cal) -> None:
            for t, s in work:
                add(cal, t, s)

        rows[f"deadline: {name}"] = timed(run, repeat)
    cycle = list(cals.values())
    mixed = [(cycle[i % len(cycle)], t, s) for i, (t, s) in enumerate(work)]

    def run_mixed() -> None:
        for cal, t, s in mixed:
            add(cal, t, s)

    rows["deadline: all four interleaved"] = timed(run_mixed, repeat)
    ends = [(t, add(cals["office+holidays"], t, s)) for t, s in work]
    between = business_seconds_between

    def run_between(cal: Calendar = cals["office+holidays"]) -> None:
        for a, b in ends:
            between(cal, a, b)

    rows["elapsed: office+holidays (between)"] = timed(run_between, repeat)
    floor_rate = n / rows["floor: datetime + timedelta(seconds=s)"][1]
    figures = []
    for name, (wall, cpu) in rows.items():
        figures.append(
            {
                "name": name,
                "rate_per_s": round(n / wall),
                "cpu_rate_per_s": round(n / cpu),
                "us_per_op_cpu": round(cpu / n * 1e6, 3),
                "x_floor_cpu": round(floor_rate / (n / cpu), 2),
            }
        )
    return {
        "n": n,
        "repeat": repeat,
        "seed": seed,
        "target_rate": TARGET_RATE,
        "compile_ms": compile_ms,
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": figures,
    }


def table(result: dict) -> str:
    """The printed table."""
    lines = [f"{'computation':<40}{'ops/s':>12}{'CPU ops/s':>12}{'µs/op CPU':>11}{'× floor':>9}"]
    for f in result["figures"]:
        lines.append(
            f"{f['name']:<40}{f['rate_per_s']:>12,}{f['cpu_rate_per_s']:>12,}{f['us_per_op_cpu']:>11}"
            f"{f['x_floor_cpu']:>9}"
        )
    lines.append(f"table build (one-off, 5 years): {result['compile_ms']} ms")
    lines.append(f"target: ≥ {TARGET_RATE:,} deadlines/s; load average {tuple(round(x, 2) for x in result['loadavg'])}")
    return "\n".join(lines)


def main() -> None:
    """Parse the arguments, measure, print and save."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000, help="computations per mix and run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per mix; the best is reported")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    result = measure(args.n, args.repeat, args.seed)
    print(table(result))
    out = BENCH / "results" / f"business-time-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out.relative_to(BENCH.parent)}")


if __name__ == "__main__":
    main()
