"""The query plan of a statement the code under test sends: capture it, then EXPLAIN it on the same database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from rapport.db.session import Database


def plan_of(db: Database, run: Callable[[Session], object], *, wants: tuple[str, ...] = (), write: bool = False) -> str:
    """The plan of the last statement `run` sends (the last holding every text in `wants`), as one line.

    On PostgreSQL sequential and bitmap scans are switched off for the EXPLAIN: a tiny test table would be read
    whole, and with the other ways off the plan shows which index serves the statement.
    """
    statements = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if all(text in statement for text in wants):
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        with db.write() if write else db.read() as session:
            run(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    statement, parameters = statements[-1]
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            return " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        return " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
