"""Sign-in timing (issue 13, accounts 5): does a failed sign-in take as long for an unknown address as for a known one?

Rapport serves on SQLite with production Argon2 parameters (as `rapport serve` runs it; the tests use cheap ones).
One client sends failed sign-ins, the cases interleaved round-robin so the machine's load falls on all of them alike:
a known address with a wrong password, an unknown address, a deactivated agent, through the API (POST
/api/v1/session) and the form (POST /sign-in). The floor is GET /healthz in the same run. Each case's distribution is
compared with the known address's through the same door: the ratio of medians and the two-sample Kolmogorov–Smirnov
distance D beside its critical value at α = 0.01 (D below it: the distributions cannot be told apart). The sign-in
limits are raised for the run (RAPPORT_LOGIN_MAX_ATTEMPTS, RAPPORT_LOGIN_MAX_ATTEMPTS_PER_CLIENT), so every attempt
reaches the password check.

    .venv/bin/python bench/signin_timing.py [--samples 40]

Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import dataset
import server

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from rapport.agents import service as agents  # noqa: E402
from rapport.kernel.permissions import SYSTEM  # noqa: E402
from rapport.models.enums import Role  # noqa: E402

PASSWORD = "a long bench password 1"
CASES = {
    "known, wrong password": {"email": "known@bench.example", "password": "not the password"},
    "unknown address": {"email": "nobody@bench.example", "password": "not the password"},
    "deactivated agent": {"email": "gone@bench.example", "password": PASSWORD},
}
D_CRITICAL = 1.628  # c(α) of the two-sample KS test at α = 0.01


def _seed(target: dict) -> None:
    with target["db"].write() as s:
        agents.create_agent(s, SYSTEM, name="Known", email="known@bench.example", password=PASSWORD, role=Role.agent)
        gone = agents.create_agent(s, SYSTEM, name="Gone", email="gone@bench.example", password=PASSWORD)
        agents.update_agent(s, SYSTEM, gone.id, active=False)


def _timed(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None, headers: dict) -> float:
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if method == "POST" and response.status not in (401, 403):
        raise RuntimeError(f"{path} answered {response.status}: the attempt did not fail as a wrong sign-in does")
    return elapsed * 1000


def _requests(body: dict) -> dict[str, tuple[str, bytes, dict]]:
    return {
        "api": ("/api/v1/session", json.dumps(body).encode(), {"Content-Type": "application/json"}),
        "form": ("/sign-in", urlencode(body).encode(), {"Content-Type": "application/x-www-form-urlencoded"}),
    }


def ks_distance(a: list[float], b: list[float]) -> float:
    """The two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical distributions."""
    a, b = sorted(a), sorted(b)
    i = j = 0
    gap = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] <= x:
            i += 1
        while j < len(b) and b[j] <= x:
            j += 1
        gap = max(gap, abs(i / len(a) - j / len(b)))
    return gap


def measure(url: str, samples: int) -> dict[str, list[float]]:
    """`samples` timings (ms) per case and door, interleaved, plus the floor."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    times: dict[str, list[float]] = {"floor": []}
    for _ in range(3):  # warm up: the first Argon2 call allocates its memory
        for body in CASES.values():
            for path, data, headers in _requests(body).values():
                _timed(conn, "POST", path, data, headers)
    for _ in range(samples):
        times["floor"].append(_timed(conn, "GET", "/healthz", None, {}))
        for name, body in CASES.items():
            for door, (path, data, headers) in _requests(body).items():
                times.setdefault(f"{door}: {name}", []).append(_timed(conn, "POST", path, data, headers))
    conn.close()
    return times


def summarise(times: dict[str, list[float]]) -> list[dict]:
    """One row per case: percentiles, and the comparison with the known address through the same door."""
    rows = []
    for name, values in times.items():
        q = statistics.quantiles(values, n=10)
        row = {"case": name, "n": len(values), "p10": q[0], "p50": statistics.median(values), "p90": q[-1]}
        door = name.split(":")[0]
        known = times.get(f"{door}: known, wrong password")
        if known is not None and name != "floor":
            critical = D_CRITICAL * math.sqrt((len(values) + len(known)) / (len(values) * len(known)))
            row |= {
                "ratio": row["p50"] / statistics.median(known),
                "ks_d": ks_distance(values, known),
                "ks_critical": critical,
            }
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a text table (ms)."""
    lines = [f"{'case':38} {'n':>4} {'p10':>8} {'p50':>8} {'p90':>8} {'÷known':>7} {'KS D':>6} {'D crit':>7}"]
    for r in rows:
        extra = f"{r['ratio']:7.2f} {r['ks_d']:6.2f} {r['ks_critical']:7.2f}" if "ratio" in r else ""
        lines.append(f"{r['case']:38} {r['n']:4} {r['p10']:8.1f} {r['p50']:8.1f} {r['p90']:8.1f} {extra}")
    return "\n".join(lines)


def main() -> None:
    """Serve Rapport with production hashing, time failed sign-ins case by case, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--port", type=int, default=18931)
    args = parser.parse_args()
    target = dataset.fresh_database("sqlite", BENCH / "data" / "signin")
    _seed(target)
    env = {"RAPPORT_LOGIN_MAX_ATTEMPTS": "1000000", "RAPPORT_LOGIN_MAX_ATTEMPTS_PER_CLIENT": "1000000"}
    with server.rapport(target, args.port, workers=1, env=env) as (url, _):
        rows = summarise(measure(url, args.samples))
    print(table(rows))
    out = BENCH / "results" / f"signin_timing-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"samples": args.samples, "rows": rows}, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
