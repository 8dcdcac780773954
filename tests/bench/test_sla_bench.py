"""bench/sla.py at a tiny scale: every step runs end to end on this database (its figures are not checked)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "sla.py"


@pytest.fixture(scope="module")
def sla():
    """The benchmark script as a module."""
    spec = importlib.util.spec_from_file_location("bench_sla", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_step_of_the_service_targets_benchmark_runs(db, sla):
    built = sla.build(db, 400, days=40, event_days=35)
    assert built["conversations"] == 400 and built["events"] > built["messages"] > 0

    setup = sla.set_up(db)
    assert setup["active"] > 0 and setup["matched"] == setup["active"]  # the catch-all policy matches the rest
    assert setup["clocks"] > 0

    replay = sla.what_if(db, 30, 1)
    assert replay["conversations"] > 0 and replay["rows_read"] > replay["conversations"]

    ingested = sla.ingest(db, setup["policy_ids"], rounds=1, per_round=12, concurrency=4)
    assert [r["messages"] for r in ingested["rounds"]["on"] + ingested["rounds"]["off"]] == [12, 12]

    breach = sla.breach_latency(db, setup["policy_ids"][-1], count=5, lead=0.5, window=0.5)
    assert breach["recorded"] == 5  # every planted deadline's breach was recorded by the worker's due-time job
    if db.is_sqlite:  # PostgreSQL rightly scans a table of a few pages; at scale the benchmark shows its plan
        assert breach["plan"]["uses_index"], breach["plan"]["plan"]
    assert breach["plan"]["claimed"] >= 5

    soon = sla.due_soon(db, 5)
    assert soon["rows"] > 0

    assert sla.deadlines(2000, 1)["cpu_rate"] > 0
