"""bench/routing.py at a tiny scale: it builds, decides, routes and reports on this database (figures not checked)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "routing.py"


@pytest.fixture(scope="module")
def bench():
    """The benchmark script as a module."""
    spec = importlib.util.spec_from_file_location("bench_routing", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_step_of_the_routing_benchmark_runs(db, bench):
    built = bench.build(db, agent_count=40, conversations=300, customers=50, waiting=20)
    assert built["agents"] == 40 and built["waiting"] == 20
    measured = bench.measure(db, 10)
    assert measured["agents_online"] == 40 and measured["candidates"] == 40
    assert measured["sample_why"]["outcome"] in ("assigned", "no_skilled_agent")
    for name in ("pure", "pure_floor", "plan", "plan_skills", "plan_floor", "route"):
        assert measured[name]["calls"] >= 10 and measured[name]["cpu_p95_ms"] >= 0
    with db.read() as s:  # the measured routing was rolled back: every call routed the same conversation
        from sqlalchemy import func, select

        from rapport.models import Event

        assert s.scalar(select(func.count()).where(Event.name == "conversation.routed")) == 0
    text = bench.table({"backend": "x", "built": built, "measured": measured, "loadavg": (0, 0, 0)})
    assert "decision with its reads" in text
