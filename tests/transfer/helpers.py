"""Shared helpers for the bulk import and export tests."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import text

from rapport.db.session import Database
from rapport.events.registry import lookup
from tests.conftest import TABLES

DIRECTORY = [
    {"type": "team", "name": "Billing"},
    {"type": "agent", "email": "ann@acme.example", "name": "Ann Agent", "teams": ["Billing"], "skills": ["refunds"]},
    {
        "type": "inbox",
        "name": "Billing email",
        "channel": "email",
        "address": "billing@acme.example",
        "team": "Billing",
    },
    {"type": "inbox", "name": "Texts", "channel": "sms"},
    {"type": "customer", "name": "Jo Jones", "identities": ["email:jo@jones.example", "phone:+44 20 7946 0000"]},
]


def conversation(ref: str, **overrides) -> dict:
    """A solved email conversation: the customer's question, Ann's reply, and a note."""
    record = {
        "type": "conversation",
        "ref": ref,
        "customer": "email:jo@jones.example",
        "inbox": "Billing email",
        "subject": f"Refund for {ref}",
        "status": "solved",
        "priority": "high",
        "assignee": "ann@acme.example",
        "tags": ["Refund", "vip"],
        "category": "refund",
        "messages": [
            {"direction": "inbound", "text": "Where is my refund for the blue kettle?",
             "created_at": "2026-05-01T09:00:00Z"},
            {"direction": "outbound", "author": "ann@acme.example", "text": "Refunded today.",
             "created_at": "2026-05-01T10:30:00Z"},
            {"direction": "note", "author": "ann@acme.example", "text": "Goodwill refund approved.",
             "created_at": "2026-05-01T10:31:00Z"},
        ],
    }  # fmt: skip
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    """Write records (dicts, or raw strings for broken lines) one a line."""
    lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def count(db: Database, table: str, where: str = "1=1") -> int:
    """Rows in `table` matching `where`."""
    with db.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one()  # noqa: S608


def search_messages(db: Database, word: str) -> list[int]:
    """Ids of messages the database's own search index finds for `word`."""
    if db.is_sqlite:
        sql = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH :w ORDER BY rowid"
    else:
        sql = "SELECT id FROM messages WHERE search @@ plainto_tsquery('english', :w) ORDER BY id"
    with db.engine.connect() as conn:
        return list(conn.execute(text(sql), {"w": word}).scalars())


def check_event_payloads(db: Database) -> int:
    """Every event's payload is valid for its name in the registry; returns how many there are."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, payload FROM events")).all()
    for name, payload in rows:
        data = payload if isinstance(payload, dict) else orjson.loads(payload)
        lookup(name).payload.model_validate(data)
    return len(rows)


def empty(db: Database) -> None:
    """Delete every row, as the db fixture does between tests."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
        else:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
