"""Multi-row inserts that hand back the new ids, in order, at the speed of executemany."""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import orjson
from sqlalchemy import JSON, Connection, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rapport.db.types import unbounded


def insert_ids(conn: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert `rows` (dicts with the same keys) into `table` and return their new ids in the order given.

    SQLite: RETURNING with a guaranteed order makes SQLAlchemy insert row by row, so ids are allocated here
    instead; this is safe because every SQLite write transaction holds the writer lock (BEGIN IMMEDIATE plus
    db.engine.WriterLock), and it is how SQLite allocates them itself (max + 1). PostgreSQL: see `_recordset`.
    """
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        start = (conn.execute(_max_id(table)).scalar() or 0) + 1
        ids = list(range(start, start + len(rows)))
        _values(conn, table, [{"id": i, **row} for row, i in zip(rows, ids, strict=True)])
        return ids
    # The sequence numbers rows in the order the SELECT's ORDER BY hands them to the INSERT (SQLAlchemy's
    # insertmanyvalues relies on the same), so the ids sorted are the ids of the rows in order.
    return sorted(r[0] for r in _recordset(conn, table, rows, returning=True))


@lru_cache(maxsize=128)
def _max_id(table: Table):
    return select(func.max(table.c.id))  # built once a table: building it is most of its cost on SQLite


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in one statement."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        _values(conn, table, rows)
    else:
        _recordset(conn, table, rows, returning=False)


def _recordset(conn: Connection, table: Table, rows: list[dict], *, returning: bool) -> list:
    """PostgreSQL: one INSERT … SELECT FROM json_to_recordset(the rows as one JSON text), whatever their number.

    Its text depends only on the table and columns, so psycopg parses it once and PostgreSQL prepares and
    plans it once per connection (a multi-row VALUES list has new text for every row count, and past 4 KB
    psycopg re-parses it on every call). The rows travel as one JSON document written by orjson, in C: psycopg
    adapts an array parameter value by value in Python, and that adapting was a sixth of the inbound intake's
    Python time.
    """
    given = tuple(rows[0])
    sql, processors, defaults = _statement(table, given, returning, conn.dialect)
    filled = {name: make() for name, make in defaults.items()}  # Python-side defaults, as SQLAlchemy fills them in
    document = [
        {**{name: (proc(row[name]) if proc is not None else row[name]) for name, proc in processors}, **filled}
        for row in rows
    ]
    result = conn.exec_driver_sql(sql, (orjson.dumps(document).decode(),))
    return result.all() if returning else []


def _values(conn: Connection, table: Table, rows: list[dict]) -> None:
    """SQLite: multi-row INSERT … VALUES statements, each as many rows as SQLite's limit of bound values allows.

    One statement for many rows, not executemany's one per row: an FTS5 search trigger flushes its pending terms
    at the end of every statement, and SQLAlchemy's executemany also ran every value through its execution context.
    Values go through their type's bind processor, so they are stored exactly as SQLAlchemy would store them.
    """
    given = tuple(rows[0])
    sql_for, processors, defaults = _sqlite_statement(table, given, conn.dialect)
    bound = processors[: len(given)]  # the given columns come first, then the defaulted ones
    # Defaults are made once for the whole call (the same for every row, as one statement would have them).
    made = [make() for make in defaults.values()]
    tail = [proc(v) if proc else v for (_, proc), v in zip(processors[len(given) :], made, strict=True)]
    flat: list = []
    for row in rows:
        flat += [proc(row[name]) if proc else row[name] for name, proc in bound]
        flat += tail
    width = len(processors)
    per = max(1, _variable_limit(conn) // width)
    for start in range(0, len(rows), per):
        count = min(per, len(rows) - start)
        conn.exec_driver_sql(sql_for(count), tuple(flat[start * width : (start + count) * width]))


@lru_cache(maxsize=128)
def _sqlite_statement(table: Table, given: tuple[str, ...], dialect):
    defaults = _defaults(table, given)
    names = [*given, *defaults]
    processors = tuple((n, table.c[n].type._cached_bind_processor(dialect)) for n in names)
    group = "(" + ", ".join("?" * len(names)) + ")"
    prefix = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "  # noqa: S608

    @lru_cache(maxsize=64)
    def sql_for(count: int) -> str:
        return prefix + ", ".join([group] * count)

    return sql_for, processors, defaults


def _variable_limit(conn: Connection) -> int:
    return conn.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def _defaults(table: Table, given: tuple[str, ...]) -> dict:
    """Python-side column defaults for the columns not given, as SQLAlchemy fills them in."""
    return {
        c.key: (lambda d=c.default: d.arg(None)) if c.default.is_callable else (lambda d=c.default: d.arg)
        for c in table.c
        if c.key not in given and c.default is not None and not c.primary_key
    }


@lru_cache(maxsize=128)
def _statement(table: Table, given: tuple[str, ...], returning: bool, dialect) -> tuple[str, tuple, dict]:
    defaults = _defaults(table, given)
    names = [*given, *defaults]
    typed = [table.c[name].type for name in names]
    columns = ", ".join(f"{n} {unbounded(t).compile(dialect=dialect)}" for n, t in zip(names, typed, strict=True))
    listed = ", ".join(names)
    sql = (
        f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM ROWS FROM "  # noqa: S608
        f"(json_to_recordset(%s::json) AS ({columns})) WITH ORDINALITY AS u({listed}, _n) ORDER BY _n"
        + (" RETURNING id" if returning else "")
    )
    # JSON columns go into the document as they are (nested JSON, read back by the column's type); other values
    # through their type's bind processor (an aware UTC datetime, say), which orjson then writes as ISO 8601.
    processors = tuple(
        (n, None if isinstance(t, JSON) else t._cached_bind_processor(dialect))
        for n, t in zip(given, (table.c[name].type for name in given), strict=True)
    )
    return sql, processors, defaults


def dialect_insert(session: Session, table):
    """An INSERT in the session's dialect, so that `on_conflict_do_nothing()` works on PostgreSQL and SQLite alike."""
    return (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)(table)
