"""Migration 0021 fills the inbox and team of the events already written from their conversations as they are."""

from __future__ import annotations

from sqlalchemy import text

from rapport.db.engine import make_engine
from rapport.db.migrate import upgrade


def test_older_events_get_their_conversations_current_inbox_and_team(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(eng, "0020")
    with eng.begin() as conn:
        conn.execute(
            text("INSERT INTO teams (id, name, description, created_at) VALUES (4, 'Billing', '', '2026-01-01')")
        )
        conn.execute(
            text(
                "INSERT INTO inboxes (id, name, channel, settings, active, created_at)"
                " VALUES (2, 'Mail', 'email', '{}', 1, '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customers (id, name, vip, attributes, created_at, updated_at)"
                " VALUES (1, 'Jo', 0, '{}', '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO conversations (id, subject, status, priority, channel, inbox_id, customer_id, team_id,"
                " custom_fields, reopen_count, message_count, created_at, updated_at)"
                " VALUES (9, 's', 'open', 'normal', 'email', 2, 1, 4, '{}', 0, 0, '2026-01-01', '2026-01-01')"
            )
        )
        for event_id, conversation in ((1, 9), (2, None)):
            conn.execute(
                text(
                    "INSERT INTO events (id, name, occurred_at, actor_kind, conversation_id, customer_id, payload)"
                    " VALUES (:id, 'customer.created', '2026-01-01', 'system', :c, 1, '{}')"
                ),
                {"id": event_id, "c": conversation},
            )
    upgrade(eng)
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT id, inbox_id, team_id FROM events ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 2, 4), (2, None, None)]
    eng.dispose()
