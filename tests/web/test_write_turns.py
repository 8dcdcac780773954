"""A burst of write requests in one process all finish: on SQLite, waiting for the writer's turn holds no thread.

Each write request holds SQLite's writer lock from its first dependency to its commit, and its later sync steps
(the acting agent, a sync route) need a thread of the pool. If more writers than the pool has threads waited for
the lock on threads, the holder could never get one: the process would stop for good. The server runs in a child
process here, so a regression fails this test (by its timeout) without stopping the rest of the suite.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request

import httpx2
from sqlalchemy import func, select

from rapport.models import Message
from tests.conftest import free_port, inbound

BURST = 150  # well above the thread pool's 40 threads


def serve(engine, tmp_path) -> tuple[subprocess.Popen, str]:
    """The app in one uvicorn process on the test database; returns the process and its URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "RAPPORT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "RAPPORT_DATA_DIR": str(tmp_path / "server-data"),
        "RAPPORT_SECRET_KEY": "write-turns-secret",
        "RAPPORT_RUN_WORKER": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "rapport.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    return proc, base
            except OSError:  # not listening yet, or too busy starting to answer within the second
                time.sleep(0.05)
        raise RuntimeError("the server did not answer /healthz")
    except BaseException:
        proc.kill()
        proc.wait()
        raise


async def burst(base: str, token: str, conversation_id: int) -> list[int]:
    """BURST notes posted at once; their status codes."""
    limits = httpx2.Limits(max_connections=BURST, max_keepalive_connections=BURST)
    async with httpx2.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        headers = {"Authorization": f"Bearer {token}"}

        async def one(n: int) -> int:
            r = await http.post(
                f"/api/v1/conversations/{conversation_id}/notes", json={"text": f"n{n}"}, headers=headers
            )
            return r.status_code

        return await asyncio.gather(*(one(n) for n in range(BURST)))


def test_a_burst_of_writes_finishes(client, world, db, engine, tmp_path):
    conv = inbound(client, world.agent_token, world.api_inbox.id)["conversation_id"]
    proc, base = serve(engine, tmp_path)
    try:
        codes = asyncio.run(asyncio.wait_for(burst(base, world.agent_token, conv), 90))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert codes == [201] * BURST
    with db.read() as s:
        notes = s.scalar(select(func.count()).select_from(Message).where(Message.direction == "note"))
    assert notes == BURST
