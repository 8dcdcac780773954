"""The migrations build exactly the schema the models declare, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rapport.db.base import Base

# Kept by the migrations on purpose, outside the models: the search index of each backend.
SEARCH_TABLES = ("messages_fts", "conversations_fts", "customers_fts")


def _relevant(diff) -> bool:
    op = diff[0] if isinstance(diff, tuple) else diff[0][0]
    obj = diff[1] if isinstance(diff, tuple) else diff[0][3]
    name = getattr(obj, "name", "") or ""
    if op == "remove_table" and (name in SEARCH_TABLES or name.startswith(SEARCH_TABLES)):
        return False
    # PostgreSQL's generated tsvector columns and their GIN indexes are the migrations' own too.
    return not (op in ("remove_column", "remove_index") and "search" in str(diff))


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _relevant(d)]
    assert diffs == []
