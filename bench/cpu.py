"""CPU time a measured phase cost: the server's processes and, on PostgreSQL, the backends serving its database.

A rate falls when other work shares the machine; the CPU a request costs barely moves. So each wrk phase also reports
its CPU milliseconds per request, which compares across runs and commits on a loaded host where rates cannot.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

_TICK = os.sysconf("SC_CLK_TCK")
_BACKENDS = (
    "SELECT pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


def process_seconds(pid: int) -> float:
    """User plus system CPU seconds of one process (all its threads), 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15 of proc(5))


def database_pids(url: str) -> list[int]:
    """The PostgreSQL backends connected to `url`'s database (empty for SQLite, which runs in the server)."""
    if not url.startswith("postgresql"):
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(_BACKENDS))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


class Meter:
    """Counts the CPU of the server's pids and its database's backends between `start()` and `stop()`."""

    def __init__(self, server_pids: list[int], url: str):
        self.server_pids = list(server_pids)
        self.url = url
        self._before: dict[int, float] = {}

    def _pids(self) -> list[int]:
        return self.server_pids + database_pids(self.url)

    def start(self) -> None:
        """Note every process's CPU now (a backend that connects later counts from zero)."""
        self._before = {pid: process_seconds(pid) for pid in self._pids()}

    def stop(self) -> dict:
        """CPU seconds since `start()`: server, database and total."""
        server = sum(process_seconds(p) - self._before.get(p, 0.0) for p in self.server_pids)
        db_pids = [p for p in self._pids() if p not in self.server_pids]
        database = sum(process_seconds(p) - self._before.get(p, 0.0) for p in db_pids)
        return {"server_s": server, "database_s": database, "total_s": server + database}


def per_request_ms(spent: dict, requests: int) -> float:
    """CPU milliseconds per request of one phase (server and database together)."""
    return round(spent["total_s"] * 1000 / requests, 3) if requests else 0.0
