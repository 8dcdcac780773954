"""Multi-row inserts that hand back the new ids, in order, at the speed of executemany."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rapport.db.types import unbounded


def insert_ids(conn: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert `rows` (dicts with the same keys) into `table` and return their new ids in the order given.

    SQLite: RETURNING with a guaranteed order makes SQLAlchemy insert row by row, so ids are allocated here
    instead; this is safe because every SQLite write transaction holds the writer lock (BEGIN IMMEDIATE plus
    db.engine.WriterLock), and it is how SQLite allocates them itself (max + 1). PostgreSQL: see `_unnest`.
    """
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        start = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        ids = list(range(start, start + len(rows)))
        conn.execute(insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return ids
    # The sequence numbers rows in the order the SELECT's ORDER BY hands them to the INSERT (SQLAlchemy's
    # insertmanyvalues relies on the same), so the ids sorted are the ids of the rows in order.
    return sorted(r[0] for r in _unnest(conn, table, rows, returning=True))


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in one statement."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(insert(table), rows)
    else:
        _unnest(conn, table, rows, returning=False)


def _unnest(conn: Connection, table: Table, rows: list[dict], *, returning: bool) -> list:
    """PostgreSQL: one INSERT … SELECT FROM unnest(one array per column), whatever the number of rows.

    Its text depends only on the table and columns, so psycopg parses it once and PostgreSQL prepares and
    plans it once per connection. A multi-row VALUES list has new text for every row count, and past 4 KB
    psycopg re-parses it on every call: that parsing was a fifth of the inbound intake's Python time.
    """
    given = tuple(rows[0])
    sql, processors, defaults = _statement(table, given, returning, conn.dialect)
    params = {}
    for name, proc in processors.items():
        # A column left out that has a Python-side default gets it, as SQLAlchemy would fill it in.
        values = [defaults[name]()] * len(rows) if name in defaults else [row[name] for row in rows]
        params[name] = [proc(v) for v in values] if proc is not None else values
    result = conn.exec_driver_sql(sql, params)
    return result.all() if returning else []


@lru_cache(maxsize=128)
def _statement(table: Table, given: tuple[str, ...], returning: bool, dialect) -> tuple[str, dict, dict]:
    defaults = {
        c.key: (lambda d=c.default: d.arg(None)) if c.default.is_callable else (lambda d=c.default: d.arg)
        for c in table.c
        if c.key not in given and c.default is not None and not c.primary_key
    }
    names = [*given, *defaults]
    typed = [table.c[name].type for name in names]
    arrays = ", ".join(f"%({n})s::{unbounded(t).compile(dialect=dialect)}[]" for n, t in zip(names, typed, strict=True))
    listed = ", ".join(names)
    sql = (
        f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM unnest({arrays}) "  # noqa: S608
        f"WITH ORDINALITY AS u({listed}, _n) ORDER BY _n" + (" RETURNING id" if returning else "")
    )
    return sql, {n: t._cached_bind_processor(dialect) for n, t in zip(names, typed, strict=True)}, defaults


def dialect_insert(session: Session, table):
    """An INSERT in the session's dialect, so that `on_conflict_do_nothing()` works on PostgreSQL and SQLite alike."""
    return (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)(table)
