"""Starting and stopping the servers the benchmark measures; only processes it started are stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
UVICORN_FLAGS = [
    "--workers",
    "2",
    "--http",
    "httptools",
    "--loop",
    "uvloop",
    "--log-level",
    "warning",
    "--no-access-log",
]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {seconds}s")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@contextmanager
def _serve(cmd: list[str], health: str, env: dict):
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, start_new_session=True)
    try:
        _wait(health, proc)
        time.sleep(1)  # let every worker process come up
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def floor(port: int):
    """The hello-world app on `port` with 2 workers."""
    cmd = [sys.executable, "-m", "uvicorn", "floor_app:app", "--port", str(port), *UVICORN_FLAGS]
    with _serve(cmd, f"http://127.0.0.1:{port}/hello", {"PYTHONPATH": str(BENCH)}):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def rapport(target: dict, port: int, *, workers: int = 2, env: dict | None = None):
    """Rapport (web + job worker in each process) on `port`; yields the URL and worker pids."""
    env = {
        "RAPPORT_DATABASE_URL": target["url"],
        "RAPPORT_DATA_DIR": str(target["data_dir"]),
        "RAPPORT_RUN_WORKER": "true",
        "RAPPORT_BASE_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    cmd = [sys.executable, "-m", "uvicorn", "rapport.app:create_app", "--factory", "--port", str(port), *UVICORN_FLAGS]
    cmd[cmd.index("--workers") + 1] = str(workers)
    with _serve(cmd, f"http://127.0.0.1:{port}/healthz", env) as proc:
        yield f"http://127.0.0.1:{port}", _children(proc.pid) or [proc.pid]


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of a process's resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
