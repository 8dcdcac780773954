"""`rapport worker` as its own process: it runs due jobs and the periodic ones, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from rapport.kit.clock import now
from rapport.models import Job, PeriodicRun
from rapport.worker import scheduler


def _until(condition, what: str, timeout: float = 60) -> None:
    """Poll `condition` until it holds (a condition, not a fixed wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"the worker process never {what}")


def test_the_worker_command_runs_jobs_and_periodic_jobs_then_stops_on_sigterm(db, engine, tmp_path):
    with db.write() as s:
        # A conversation that does not exist: the handler finds nothing to close, and the job is done.
        scheduler.schedule(
            s, "conversations.auto_close", "auto_close:none", now() - timedelta(seconds=1), {"conversation_id": 999999}
        )
    env = os.environ | {
        "RAPPORT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "RAPPORT_DATA_DIR": str(tmp_path / "worker-data"),
        "RAPPORT_SECRET_KEY": "worker-secret",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from rapport.cli import main; main()", "worker", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def periodic_fired_and_every_job_ran() -> bool:
            with db.read() as s:
                runs = s.scalar(select(func.count()).select_from(PeriodicRun))
                jobs = s.scalar(select(func.count()).select_from(Job))
            return runs >= 2 and jobs == 0

        _until(periodic_fired_and_every_job_ran, "ran the job and the periodic purges")
        with db.read() as s:
            names = set(s.scalars(select(PeriodicRun.name)))
        assert {"agents.purge_login_attempts", "ratelimit.purge_hits"} <= names
        os.kill(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    assert "Worker running with 2 job threads" in output
