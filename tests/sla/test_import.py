"""Imported conversations: history as it was, and those still active are carried on with the matching policy."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation
from rapport.sla import policies
from rapport.transfer.importer import import_file
from tests.sla.conftest import clocks, conversation, sla_events
from tests.transfer.helpers import DIRECTORY, write_jsonl
from tests.transfer.helpers import conversation as record


def test_an_imported_active_conversation_gets_clocks_from_its_own_instants(db, tmp_path, frozen_clock):
    with db.write() as s:
        policies.create(
            s,
            SYSTEM,
            name="Around the clock",
            targets=[
                {"kind": "first_reply", "seconds": 3600, "business": False},
                {"kind": "resolution", "seconds": 30 * 24 * 3600, "business": False},
            ],
            effective_from=datetime(2026, 1, 1, tzinfo=UTC),
        )
    path = write_jsonl(tmp_path / "in.jsonl", [*DIRECTORY, record("zd-1"), record("zd-2", status="open")])
    report = import_file(db, path)
    assert report.error_count == 0
    with db.read() as s:
        ids = dict(s.execute(select(Conversation.source_ref, Conversation.id)).all())
    assert clocks(db, ids["zd-1"]) == {}  # solved: nothing is owed any more
    active = clocks(db, ids["zd-2"])
    # Replied in its history: no first reply is owed; resolution runs from when the conversation began.
    assert set(active) == {"resolution"}
    resolution = active["resolution"][0]
    assert resolution.started_at == conversation(db, ids["zd-2"]).created_at and resolution.state == "running"
    assert [p["reason"] for n, p, _ in sla_events(db, ids["zd-2"]) if n == "sla.applied"] == ["imported"]
