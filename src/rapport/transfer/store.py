"""Batch reads and writes on the raw DBAPI connection, inside the caller's SQLAlchemy transaction.

The ORM's unit of work costs far more per row than the database does, so bulk import talks to the driver:
multi-row INSERTs on SQLite, COPY on PostgreSQL. Values must then be in the form SQLAlchemy would have
stored: naive-UTC 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite (UTCDateTime), JSON as text, booleans as 0/1.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from rapport.transfer.records import canonical

COPY_CHUNK = 256 * 1024
ROWS_PER_STATEMENT = 500


def _copy_text(value: str) -> str:
    """A string escaped for COPY's text format."""
    if "\\" in value or "\n" in value or "\r" in value or "\t" in value:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return value


class Store:
    """One raw connection, with the few operations bulk import needs.

    In a transaction (Store.of(session)) it reads under the transaction and writes. Outside one (Store.planner)
    it only reads and hands out ids, for plans made while another thread writes.
    """

    def __init__(self, raw: Any, *, pg: bool, in_transaction: bool):
        self.pg = pg
        self.raw = raw
        self.cur = raw.cursor()
        self.in_transaction = in_transaction
        self._next: dict[str, int] = {}
        self._sequences: dict[str, str] = {}
        self._ids_lock = threading.Lock()
        self._max_vars = 999 if pg else raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)

    @classmethod
    def of(cls, session: Session) -> Store:
        """The store of a session's transaction."""
        conn = session.connection()
        return cls(conn.connection.driver_connection, pg=conn.dialect.name == "postgresql", in_transaction=True)

    @classmethod
    @contextmanager
    def planner(cls, engine: Engine) -> Iterator[Store]:
        """A store on a connection of its own, in autocommit, for the whole import."""
        pooled = engine.raw_connection()
        pg = engine.dialect.name == "postgresql"
        raw = pooled.driver_connection
        try:
            if pg:
                raw.autocommit = True
            yield cls(raw, pg=pg, in_transaction=False)
        finally:
            if pg:
                raw.autocommit = False
            pooled.close()

    def finish_bulk(self, *, analyze: bool) -> None:
        """After an import: merge the search indexes' pending entries and, for a large one, refresh statistics.

        PostgreSQL only: SQLite's planner does not go by table sizes, and its ANALYZE reads every index whole.
        """
        if not self.pg:
            return
        for table in ("messages", "conversations", "customers"):
            self.cur.execute(f"SELECT gin_clean_pending_list('ix_{table}_search'::regclass)")
        if analyze:
            # Plans made on the statistics of the empty tables would scan millions of rows for one page.
            self.cur.execute("ANALYZE customers, identities, conversations, conversation_tags, messages, events")

    # -- values ---------------------------------------------------------------------------------------------

    def ts(self, value: str | None) -> str | None:
        """A canonical UTC time (records.canonical) as this database takes it: PostgreSQL needs the offset."""
        if value is None or not self.pg:
            return value
        return value + "+00"

    @staticmethod
    def canonical_of(value: Any) -> str | None:
        """A time read through the raw connection, in canonical form."""
        if value is None or isinstance(value, str):
            return value
        return canonical(value)

    @staticmethod
    def json(value: Any) -> str:
        """A JSON column value (text on both databases: COPY parses it into JSONB on PostgreSQL)."""
        return orjson.dumps(value).decode()

    # -- ids ------------------------------------------------------------------------------------------------

    def max_id(self, table: str) -> int:
        """The largest id in `table` (0 when empty)."""
        self.cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        return self.cur.fetchone()[0]

    def ids(self, table: str, count: int) -> Sequence[int]:
        """`count` fresh ids for `table`: from its sequence on PostgreSQL, past the largest on SQLite."""
        if count == 0:
            return ()
        if self.pg:
            # nextval hands out ids no other session will get, so no setval is needed afterwards. The sequence
            # is named as a literal: resolved per row, pg_get_serial_sequence made this query 8 times slower.
            if table not in self._sequences:
                self.cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
                self._sequences[table] = self.cur.fetchone()[0].replace("'", "''")
            sql = f"SELECT nextval('{self._sequences[table]}'::regclass) FROM generate_series(1, %s)"  # noqa: S608
            self.cur.execute(sql.encode(), (count,), prepare=False)
            return [row[0] for row in self.cur.fetchall()]
        # In a transaction this holds the write lock, so the ids are ours. A planner's ids are a guess that
        # apply() checks: nobody else may have written past them meanwhile.
        with self._ids_lock:
            if table not in self._next:
                self._next[table] = self.max_id(table) + 1
            start = self._next[table]
            self._next[table] = start + count
        return range(start, start + count)

    def skip_past(self, table: str, used: int) -> None:
        """Make a planner's next ids for `table` start after `used` (another writer got there first)."""
        with self._ids_lock:
            self._next[table] = max(self._next.get(table, 0), used + 1)

    # -- writes ---------------------------------------------------------------------------------------------

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """Insert `rows` (tuples in `columns` order, values already in database form)."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.pg:
            # COPY text written by hand: str() gives input every column type here accepts, and sending 256KB
            # at a time lets the server work while the rest is formatted. psycopg's write_row cost twice as much.
            with self.cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                lines: list[str] = []
                size = 0
                for row in rows:
                    line = "\t".join(
                        [_copy_text(v) if type(v) is str else ("\\N" if v is None else str(v)) for v in row]
                    )
                    lines.append(line)
                    size += len(line)
                    if size > COPY_CHUNK:
                        lines.append("")
                        copy.write("\n".join(lines))
                        lines, size = [], 0
                if lines:
                    lines.append("")
                    copy.write("\n".join(lines))
            return
        # Many rows per statement, not executemany: FTS5 flushes its pending index at every statement's
        # savepoint, so one row per statement made the search trigger four times slower.
        width = len(columns)
        per = max(1, min(ROWS_PER_STATEMENT, self._max_vars // width))
        group = "(" + ", ".join("?" * width) + ")"
        prefix = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608
        full = prefix + ", ".join([group] * per)
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            sql = full if len(chunk) == per else prefix + ", ".join([group] * len(chunk))
            self.cur.execute(sql, list(chain.from_iterable(chunk)))

    def update_many(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """UPDATE `table` SET columns... WHERE id = last value of each row."""
        if not rows:
            return
        mark = "%s" if self.pg else "?"
        sets = ", ".join(f"{c} = {mark}" for c in columns)
        self.cur.executemany(f"UPDATE {table} SET {sets} WHERE id = {mark}", rows)  # noqa: S608

    # -- batch lookups: one query per batch (per kind or inbox), probing a unique index once per key -------

    def _lookup(self, sql: str, params: tuple) -> list[tuple]:
        if self.pg:
            # Planned afresh each time: a prepared statement's cached plan outlived the table sizes it was made for.
            self.cur.execute(sql, params, prepare=False)
        else:
            self.cur.execute(sql, params)
        return self.cur.fetchall()

    def _list(self, values: list) -> Any:
        return values if self.pg else orjson.dumps(values).decode()

    # On PostgreSQL each key is looked up in a LATERAL subquery: a join left to the planner went by the
    # statistics of the empty tables (never analysed during a load) and compared every key with every row.

    def conversations_by_ref(self, refs: list[str], *, lock: bool = True) -> dict[str, tuple]:
        """ref -> (id, inbox_id, customer_id, message_count, last_message_at, last_inbound_at, first_reply_at,
        updated_at, channel, team_id) of conversations already there, locked against concurrent change on PostgreSQL."""
        if not refs:
            return {}
        columns = "id, inbox_id, customer_id, message_count, last_message_at, last_inbound_at, first_reply_at, " + (
            "updated_at, channel, team_id"
        )
        if self.pg:
            lock_clause = " FOR UPDATE" if lock else ""
            sql = (
                f"SELECT k.v, c.* FROM unnest(%s::text[]) AS k(v) CROSS JOIN LATERAL "  # noqa: S608
                f"(SELECT {columns} FROM conversations WHERE source_ref = k.v LIMIT 1{lock_clause}) AS c"
            )
        else:
            sql = (
                f"SELECT source_ref, {columns} FROM conversations WHERE source_ref IN (SELECT value FROM json_each(?))"  # noqa: S608
            )
        return {row[0]: row[1:] for row in self._lookup(sql, (self._list(refs),))}

    def customers_by_identity(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(kind, address) -> customer id for the identities that exist."""
        by_kind: dict[str, list[str]] = {}
        for kind, address in keys:
            by_kind.setdefault(kind, []).append(address)
        if self.pg:
            sql = (
                "SELECT k.v, i.customer_id FROM unnest(%s::text[]) AS k(v) CROSS JOIN LATERAL "
                "(SELECT customer_id FROM identities WHERE kind = %s AND address = k.v LIMIT 1) AS i"
            )
        else:
            sql = (
                "SELECT address, customer_id FROM identities "
                "WHERE address IN (SELECT value FROM json_each(?)) AND kind = ?"
            )
        found: dict[tuple[str, str], int] = {}
        for kind, addresses in by_kind.items():
            rows = self._lookup(sql, (self._list(addresses), kind))
            found.update(((kind, address), cid) for address, cid in rows)
        return found

    def existing_external_ids(self, inbox_id: int, external_ids: list[str]) -> set[str]:
        """The external ids among `external_ids` already stored for `inbox_id`."""
        if not external_ids:
            return set()
        if self.pg:
            sql = (
                "SELECT k.v FROM unnest(%s::text[]) AS k(v) CROSS JOIN LATERAL "
                "(SELECT 1 FROM messages WHERE inbox_id = %s AND external_id = k.v LIMIT 1) AS m"
            )
        else:
            sql = "SELECT external_id FROM messages WHERE external_id IN (SELECT value FROM json_each(?)) AND inbox_id = ?"  # noqa: E501
        return {row[0] for row in self._lookup(sql, (self._list(external_ids), inbox_id))}
