"""The migrations build exactly the schema the models declare, on every backend."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rapport.db.base import Base

# Kept by the migrations on purpose, outside the models: the search index of each backend.
SEARCH_TABLES = ("messages_fts", "conversations_fts", "customers_fts")
# Indexes on an expression: SQLite cannot reflect them and PostgreSQL renders the expression back with casts, so
# autogenerate cannot compare them; they are checked by name (test_expression_indexes_exist).
EXPRESSION_INDEXES = ("ix_conversations_active_priority",)


def _relevant(diff) -> bool:
    op = diff[0] if isinstance(diff, tuple) else diff[0][0]
    obj = diff[1] if isinstance(diff, tuple) else diff[0][3]
    name = getattr(obj, "name", "") or ""
    if op in ("add_index", "remove_index") and name in EXPRESSION_INDEXES:
        return False
    if op == "remove_table" and (name in SEARCH_TABLES or name.startswith(SEARCH_TABLES)):
        return False
    # PostgreSQL's generated tsvector columns and their GIN indexes are the migrations' own too.
    return not (op in ("remove_column", "remove_index") and "search" in str(diff))


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _relevant(d)]
    assert diffs == []


def test_expression_indexes_exist(engine):
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        else:
            found = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'conversations'").scalars()
        assert set(EXPRESSION_INDEXES) <= set(found)


def test_the_search_index_keeps_every_trigger(engine):
    """A migration in batch mode copies an SQLite table and silently drops its full-text triggers."""
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL's search columns are generated: there is no trigger to lose
    with engine.connect() as conn:
        triggers = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
    tables = ("messages", "conversations", "customers")
    assert {f"{t}_fts_{kind}" for t in tables for kind in ("ai", "ad", "au")} <= triggers


def test_downgrading_and_upgrading_again_keeps_the_triggers(tmp_path):
    """The newest migrations' downgrades must not lose the triggers either."""
    from alembic import command

    from rapport.db.engine import make_engine
    from rapport.db.migrate import alembic_config, upgrade

    eng = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    upgrade(eng)
    cfg = alembic_config()
    with eng.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")
        command.upgrade(cfg, "head")
        conn.commit()
    test_the_search_index_keeps_every_trigger(eng)
    eng.dispose()
