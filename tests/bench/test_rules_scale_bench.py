"""bench/rules_scale.py at a tiny scale: every step runs end to end on this database (its figures are not checked)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "rules_scale.py"


@pytest.fixture(scope="module")
def bench():
    """The benchmark script as a module (it imports its neighbours in bench/)."""
    spec = importlib.util.spec_from_file_location("bench_rules_scale", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(SCRIPT.parent))


def test_every_step_of_the_rules_at_scale_benchmark_runs(db, bench):
    built = bench.sla.build(db, 300, days=40, event_days=35)
    assert built["events"] > built["messages"] > 0
    ids = bench.prepare(db)
    assert len(ids) == 50 and bench.prepare(db) == ids  # made once, then found again

    counted = bench.counts(db, ids, 10)
    assert set(counted["rules"]) == set(bench.COUNT_RULES) and counted["tallies"] > 300
    for figures in counted["rules"].values():
        assert figures["calls"] == 10 and figures["query_alone"]["calls"] == 10
        if db.is_sqlite:  # PostgreSQL rightly scans a table of a few pages; at scale the benchmark shows its plan
            assert figures["plan"]["uses_index"], figures["plan"]["plan"]
    with db.read() as s:  # every evaluation was rolled back
        assert s.scalar(bench.text("SELECT count(*) FROM rule_tallies")) == counted["tallies"]

    replayed = bench.replay_month(db)
    assert replayed["whole"]["events_read"] == replayed["rule_events_in_window"] > 0
    assert not replayed["whole"]["truncated"]

    fired = bench.rules_live.time_rules(db, ids[bench.rules_live.TIME_RULE], count=6, window=0.5, lead=0.5)
    assert fired["fired"] == 6 and fired["left_unfired"] == 0  # every planted wait fired through the worker

    ingested = bench.rules_live.ingest(db, ids, rounds=1, per_round=8, concurrency=4)
    assert [r["messages"] for r in ingested["rounds"]["on"] + ingested["rounds"]["off"]] == [8, 8]
    assert all(r["caught_up"] for r in ingested["rounds"]["on"] + ingested["rounds"]["off"])
    assert ingested["rules"] == 50 and ingested["policies"] == 5
