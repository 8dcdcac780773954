"""Multi-row inserts that hand back the new ids, in order, at the speed of executemany."""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ids(conn: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert `rows` into `table` and return their new ids in the order given.

    SQLite: RETURNING with a guaranteed order makes SQLAlchemy insert row by row, so ids are allocated here
    instead; this is safe because every SQLite write transaction holds the writer lock (BEGIN IMMEDIATE plus
    db.engine.WriterLock), and it is how SQLite allocates them itself (max + 1). PostgreSQL: sequences
    allocate, and RETURNING is sorted to parameter order by SQLAlchemy's insertmanyvalues.
    """
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        start = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        ids = list(range(start, start + len(rows)))
        conn.execute(insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return ids
    return list(conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())


def dialect_insert(session: Session, table):
    """An INSERT in the session's dialect, so that `on_conflict_do_nothing()` works on PostgreSQL and SQLite alike."""
    return (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)(table)
