"""db.bulk: multi-row inserts hand back ids in order, fill Python-side defaults, and never store a value cut short."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from rapport.conversations.inbound_queries import statements
from rapport.db.bulk import insert_ids, insert_rows
from rapport.models import Customer, Event, Identity

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _customer(session, name: str) -> int:
    row = {"name": name, "created_at": NOW, "updated_at": NOW}
    return insert_ids(session.connection(), Customer.__table__, [row])[0]


def test_ids_come_back_in_the_order_of_the_rows_and_defaults_are_filled_in(db):
    with db.write() as s:
        rows = [{"name": f"e.{i}", "occurred_at": NOW, "actor_kind": "system"} for i in range(40)]
        ids = insert_ids(s.connection(), Event.__table__, rows)
        stored = dict(s.connection().execute(select(Event.id, Event.name).where(Event.id.in_(ids))).all())
        payloads = s.connection().execute(select(Event.payload).where(Event.id.in_(ids))).scalars().all()
    assert [stored[i] for i in ids] == [f"e.{i}" for i in range(40)]
    assert payloads == [{}] * 40  # the column's Python-side default, as SQLAlchemy's own insert would give


def test_a_value_longer_than_its_column_is_never_stored_cut(db):
    long_address = "a" * 400 + "@example.com"  # identities.address is VARCHAR(320)
    with db.write() as s:
        customer = _customer(s, "Ada")
    row = {"customer_id": customer, "kind": "email", "address": long_address, "verified": False, "created_at": NOW}
    if db.is_sqlite:  # SQLite keeps the whole value: it does not enforce VARCHAR lengths
        with db.write() as s:
            insert_rows(s.connection(), Identity.__table__, [row])
        with db.read() as s:
            assert s.scalar(select(Identity.address)) == long_address
    else:
        with pytest.raises(DBAPIError, match="too long"), db.write() as s:
            insert_rows(s.connection(), Identity.__table__, [row])


def test_a_lookup_does_not_match_a_stored_value_by_its_first_characters(db):
    # A cast to VARCHAR(320)[] would cut the key to 320 characters and find the customer stored under that prefix.
    prefix = "b" * 320
    with db.write() as s:
        customer = _customer(s, "Prefix")
        insert_rows(
            s.connection(),
            Identity.__table__,
            [{"customer_id": customer, "kind": "email", "address": prefix, "verified": False, "created_at": NOW}],
        )
    with db.read() as s:
        conn = s.connection()
        found = conn.execute(statements(conn).identities, {"kinds": ["email"], "addresses": [prefix + "x"]}).all()
        exact = conn.execute(statements(conn).identities, {"kinds": ["email"], "addresses": [prefix]}).all()
    assert found == []
    assert [r.customer_id for r in exact] == [customer]
