"""A what-if replay writes nothing, so it must hold no writer: inbound messages go on while an admin runs one.

The replay here is made to stop in the middle (it waits on an Event that only the test sets) while its request is
in flight; an inbound message sent through the API meanwhile must be committed. Nothing is timed: the waits below
are guards against a hang, never measurements.
"""

from __future__ import annotations

import json
import threading

from sqlalchemy import func, select, text

from rapport.models import Message
from rapport.sla import whatif
from tests.conftest import World, inbound

GUARD = 30  # seconds: only ever reached when the code under test is wrong (the inbound waits for the replay)
TARGETS = [{"kind": "first_reply", "seconds": 3600, "business": False}]


def test_an_inbound_message_commits_while_a_what_if_runs(db, client, world, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    replay = whatif.replay

    def stuck_replay(*args, **kwargs):
        entered.set()
        release.wait(GUARD * 2)
        return replay(*args, **kwargs)

    monkeypatch.setattr(whatif, "replay", stuck_replay)
    answers: list = []
    query = {"targets": json.dumps(TARGETS), "days": 1}
    admin = World.auth(world.admin_token)
    asking = threading.Thread(
        target=lambda: answers.append(client.get("/api/v1/sla/what-if", params=query, headers=admin)), daemon=True
    )
    asking.start()
    wrote = threading.Event()
    try:
        assert entered.wait(GUARD), "the what-if never reached its replay"
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                open_txns = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state LIKE 'idle in transaction%'"
                    )
                )
            assert open_txns == 0, "the what-if keeps a transaction open while it replays"
        sender = threading.Thread(
            target=lambda: (inbound(client, world.agent_token, world.email_inbox.id, text="Still there?"), wrote.set()),
            daemon=True,
        )
        sender.start()
        assert wrote.wait(GUARD), "an inbound message waited for the what-if"
        assert asking.is_alive() and not answers  # the replay was still in flight all along
    finally:
        release.set()
        asking.join(GUARD)
    assert answers and answers[0].status_code == 200, answers and answers[0].text
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.body_text == "Still there?")) == 1
