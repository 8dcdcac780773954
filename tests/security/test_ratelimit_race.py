"""Two spends of one budget at the same time cannot both pass below the limit (PostgreSQL, READ COMMITTED).

The race made deterministic: the first spend is counted and its transaction held open; the second, started
meanwhile, must wait for it (without the fix it counts none of the first's uncommitted use and passes too).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from rapport.agents import signin
from rapport.kit import ratelimit
from rapport.kit.problems import TooManyRequests, Unauthorized

KEY = ratelimit.Key("test:race", "victim@example.net", 1, "RAPPORT_TEST_LIMIT", "tests")


def _waiting_on_a_lock(db) -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            )
        )


def test_a_second_spend_waits_for_the_first_and_is_refused(db):
    # On SQLite the second writer's BEGIN IMMEDIATE waits for the first commit: refused there too, by design.
    postgres = db.engine.dialect.name == "postgresql"
    outcome: list[str] = []

    def second() -> None:
        try:
            with db.write() as s:
                ratelimit.spend(s, KEY)
            outcome.append("passed")
        except TooManyRequests:
            outcome.append("refused")

    with db.write() as s:
        ratelimit.spend(s, KEY)  # counted, not yet committed
        thread = threading.Thread(target=second)
        thread.start()
        # Wait until the second spend has finished (the race lost) or waits on a lock (the fix); no time asserted.
        while postgres and thread.is_alive() and not _waiting_on_a_lock(db):
            thread.join(0.02)
    thread.join(30)
    assert outcome == ["refused"]


def test_concurrent_wrong_passwords_cannot_pass_the_lockout_together(db, world, settings):
    settings.login_max_attempts = 1
    postgres = db.engine.dialect.name == "postgresql"
    outcome: list[str] = []

    def second() -> None:
        try:
            with db.write() as s:
                signin.sign_in(s, "alex@example.com", "guess two", ip="198.51.100.2")
        except signin.LockedOut:
            outcome.append("locked")
        except Unauthorized:
            outcome.append("tried")

    with db.write() as s:
        with pytest.raises(Unauthorized):
            signin.sign_in(s, "alex@example.com", "guess one", ip="198.51.100.1")
        thread = threading.Thread(target=second)
        thread.start()
        while postgres and thread.is_alive() and not _waiting_on_a_lock(db):
            thread.join(0.02)
    thread.join(30)
    assert outcome == ["locked"]  # the second guess was never checked against the password
