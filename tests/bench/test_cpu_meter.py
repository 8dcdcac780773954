"""bench/cpu.py: the CPU a phase cost is counted from the processes that spent it, and only from those."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "cpu.py"
# Spins half a second of its own CPU, says so, then waits: the test reads that line, never polls a clock.
BUSY = (
    "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\nprint('spun', flush=True)\n"
)


@pytest.fixture(scope="module")
def cpu():
    """The benchmark's CPU meter as a module."""
    spec = importlib.util.spec_from_file_location("bench_cpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_meter_counts_a_busy_process_and_not_an_idle_one(cpu):
    busy = subprocess.Popen(
        [sys.executable, "-c", BUSY + "input()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    idle = subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE, text=True)
    try:
        meter = cpu.Meter([busy.pid], "sqlite://")  # started while the child starts up: nearly all its spin counts
        meter.start()
        assert busy.stdout.readline().strip() == "spun"  # blocks until the child has spun
        spent = meter.stop()
        assert spent["server_s"] >= 0.2 and spent["database_s"] == 0
        assert cpu.per_request_ms(spent, 100) == pytest.approx(spent["total_s"] * 10, abs=0.001)
        assert cpu.process_seconds(idle.pid) < 0.2
    finally:
        for proc in (busy, idle):
            proc.communicate("\n", timeout=60)
    assert cpu.process_seconds(busy.pid) == 0.0  # a process that has gone counts nothing


def test_on_postgresql_the_database_backends_of_that_database_are_found(cpu, db):
    if db.is_sqlite:
        assert cpu.database_pids(str(db.engine.url)) == []  # SQLite runs inside the server's processes
        return
    url = db.engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    with db.engine.connect() as conn:
        mine = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        assert mine in cpu.database_pids(url)
