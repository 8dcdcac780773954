"""Portable column types: ids, UTC timestamps and JSON that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


def unbounded(type_):
    """The type without its length, for a cast: `'…'::VARCHAR(n)` silently cuts a longer value to n characters,
    so a lookup could match another row's shorter value and an insert would store a cut value instead of failing."""
    return String() if isinstance(type_, String) else type_


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime, stored naive-UTC on SQLite and timestamptz on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Rapport stores only aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect, coltype):  # noqa: D102
        if dialect.name != "sqlite":
            # make_engine's sessions run in UTC, so psycopg's values are aware UTC datetimes already: no call
            # per value (a list page reads about 400 of them, and converting them was a quarter of its work).
            return None

        # SQLite hands back text; one C-level parse per value instead of the generic two-step chain,
        # because list pages read hundreds of these per request.
        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:
                return datetime.fromisoformat(value + "+00:00")  # stored naive UTC: the common, fast case
            except ValueError:
                return datetime.fromisoformat(value).astimezone(UTC)  # a value that carries its own offset

        return process

    def process_result_value(self, value: datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class json_array_agg(FunctionElement):  # noqa: N801  (reads like the SQL function it stands for)
    """The values of a column as one JSON array (`json_agg` / `json_group_array`); None or [] when there are none.

    Folding a child table into its parent's query saves a round trip per page on the hot read paths.
    """

    type = JSON()
    inherit_cache = True
    name = "json_array_agg"


@compiles(json_array_agg, "postgresql")
def _json_agg_pg(element, compiler, **kw):
    return f"json_agg({compiler.process(element.clauses, **kw)})"


@compiles(json_array_agg, "sqlite")
def _json_agg_sqlite(element, compiler, **kw):
    return f"json_group_array({compiler.process(element.clauses, **kw)})"
