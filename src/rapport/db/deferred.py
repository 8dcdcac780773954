"""Secondary indexes set aside while a bulk load fills empty tables, then built once at the end.

Building an index over loaded rows is much cheaper than keeping it up to date row by row (PostgreSQL's
"Populating a Database" advice; SQLite sorts once, and FTS5's 'rebuild' indexes the table in one pass). Only
indexes that nothing relies on while loading are set aside: primary keys and unique indexes stay, since they
enforce the data's rules and serve the importer's idempotency lookups.

Crash-safe: each index's definition is written to `deferred_indexes` in the same transaction that drops it (DDL
is transactional on both databases), and deleted in the one that builds it again. `restore` builds whatever
that table still lists, and `db.migrate.upgrade` calls it, so a load killed half-way gets its indexes back at
the next `rapport migrate`, `serve` or `import`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, inspect, select

from rapport.db.session import Database
from rapport.kit.clock import now
from rapport.models.deferred import DeferredIndex

_CREATE = re.compile(r"^\s*CREATE\s+(INDEX|TRIGGER)\s+(?!IF\s)", re.IGNORECASE)


def set_aside(engine: Engine, tables: Sequence[str]) -> list[str]:
    """Drop the secondary indexes of those of `tables` that are empty, recording each; returns their names."""
    names: list[str] = []
    with Database(engine).write() as session:
        conn = session.connection()
        for table in tables:
            if conn.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first() is not None:  # noqa: S608
                continue
            found = _sqlite_secondary(conn, table) if conn.dialect.name == "sqlite" else _pg_secondary(conn, table)
            for name, create_sql, then_sql in found:
                session.add(
                    DeferredIndex(
                        name=name, table_name=table, create_sql=_idempotent(create_sql), then_sql=then_sql,
                        created_at=now(),
                    )
                )  # fmt: skip
                conn.exec_driver_sql(f'DROP {"TRIGGER" if then_sql else "INDEX"} "{name}"')
                names.append(name)
    return names


def restore(engine: Engine) -> list[str]:
    """Build every index the ledger lists, one transaction each; returns their names (none when nothing is set
    aside, or the ledger's migration has not run yet)."""
    if not inspect(engine).has_table(DeferredIndex.__tablename__):
        return []
    db, built = Database(engine), []
    while True:
        with db.write() as session:
            # FOR UPDATE (PostgreSQL): a second process restoring at the same time waits for this one's row; it may
            # then stop early, finding that row gone, and leave the rest to this one.
            entry = session.scalars(
                select(DeferredIndex).order_by(DeferredIndex.name).limit(1).with_for_update()
            ).first()
            if entry is None:
                return built
            # PostgreSQL's own settings suffice: raising maintenance_work_mem from 64 MB to 1 GB did not make the
            # largest builds here (5M messages' GIN, 7M events by name) faster, nor did two builds at a time on 2 cores.
            session.connection().exec_driver_sql(entry.create_sql)
            if entry.then_sql:
                session.connection().exec_driver_sql(entry.then_sql)
            session.delete(entry)
            built.append(entry.name)


def _pg_secondary(conn: Connection, table: str) -> list[tuple[str, str, None]]:
    rows = conn.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
        (table,),
    )
    return [(name, sql, None) for name, sql in rows]


def _sqlite_secondary(conn: Connection, table: str) -> list[tuple[str, str, str | None]]:
    # Automatic indexes (UNIQUE, PRIMARY KEY) have no SQL. The search trigger that fills `{table}_fts` on insert
    # (migration 0002) goes too, and comes back with a rebuild of that search index from the table.
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL AND ("
        " (type = 'index' AND sql NOT LIKE 'CREATE UNIQUE%') OR (type = 'trigger' AND name = ?)) ORDER BY name",
        (table, f"{table}_fts_ai"),
    )
    fts = f"{table}_fts"  # table names come from the importer's constant, not from input
    rebuild = f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"  # noqa: S608
    return [(name, sql, rebuild if name == f"{fts}_ai" else None) for name, sql in rows]


def _idempotent(create_sql: str) -> str:
    """CREATE INDEX x … as CREATE INDEX IF NOT EXISTS x …, so building one already there does no harm."""
    return _CREATE.sub(lambda m: f"CREATE {m.group(1).upper()} IF NOT EXISTS ", create_sql, count=1)
