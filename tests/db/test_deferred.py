"""db.deferred: a bulk load into empty tables sets their secondary indexes aside and builds them again, crash-safe."""

from __future__ import annotations

import json
import re

from sqlalchemy import select, text

from rapport.db import deferred
from rapport.db.migrate import upgrade
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, DeferredIndex
from rapport.search import service as search
from rapport.transfer.importer import DEFERRED_TABLES, import_records
from tests.transfer.helpers import DIRECTORY, conversation, search_messages

TABLES = ("conversations", "messages")


def _schema(db, tables=TABLES) -> dict[str, str]:
    """name -> definition of every index (and SQLite trigger) on `tables`, as the catalog gives them."""
    with db.engine.connect() as conn:
        if db.is_sqlite:  # unique indexes are SQLite's automatic ones, without SQL
            rows = conn.execute(
                text(
                    "SELECT name, coalesce(sql, '') FROM sqlite_master "
                    "WHERE type IN ('index', 'trigger') AND tbl_name IN (SELECT value FROM json_each(:t))"
                ),
                {"t": json.dumps(list(tables))},
            ).all()
        else:
            rows = conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"), {"t": list(tables)}
            ).all()
    return {name: _plain(sql.replace(" IF NOT EXISTS", "")) for name, sql in rows}


def _plain(sql: str) -> str:
    # PostgreSQL deparses a partial index's `status IN (…)` on a varchar column with its casts placed differently
    # once the definition has made a round trip ((ARRAY['new'::varchar])::text[] against ARRAY[('new'::varchar)::text]);
    # the planner folds both to the same constant. Casts and parentheses aside, the definitions must be equal.
    return re.sub(r"::(character varying|text)(\[\])?|[()]", "", sql)


def test_empty_tables_lose_their_secondary_indexes_and_get_the_same_ones_back(db):
    before = _schema(db)
    names = deferred.set_aside(db.engine, TABLES)
    assert "ix_messages_conversation" in names and "ix_conversations_active_inbox" in names
    assert ("messages_fts_ai" if db.is_sqlite else "ix_messages_search") in names
    during = _schema(db)
    assert not set(names) & set(during)
    # Primary keys and unique indexes stay: they keep the rules and serve the importer's lookups.
    kept = set(before) - set(names)
    assert kept == set(during)
    assert ("sqlite_autoindex_conversations_1" if db.is_sqlite else "uq_conversations_source_ref") in kept
    with db.read() as s:
        assert sorted(s.scalars(select(DeferredIndex.name))) == sorted(names)
    assert sorted(deferred.restore(db.engine)) == sorted(names)
    assert _schema(db) == before
    with db.read() as s:
        assert s.scalars(select(DeferredIndex.name)).all() == []


def test_a_table_with_rows_keeps_its_indexes(db):
    import_records(db, [*DIRECTORY, conversation("zd-1")])
    before = _schema(db)
    assert deferred.set_aside(db.engine, TABLES) == []
    assert _schema(db) == before


def test_a_load_stopped_half_way_gets_its_indexes_back_at_the_next_migrate(db):
    before = _schema(db)
    names = deferred.set_aside(db.engine, TABLES)
    assert names
    # The process died here. Whatever starts next (migrate, serve, import) runs upgrade(), which builds them.
    upgrade(db.engine)
    assert _schema(db) == before
    assert deferred.restore(db.engine) == []


def test_an_import_into_empty_tables_builds_its_indexes_and_search_finds_what_it_loaded(db, settings):
    settings.import_defer_indexes = True  # the default, whatever the environment says
    before = _schema(db, DEFERRED_TABLES)
    report = import_records(db, [*DIRECTORY, conversation("zd-1"), conversation("zd-2")])
    assert report.error_count == 0
    assert "ix_messages_conversation" in report.indexes_built
    assert _schema(db, DEFERRED_TABLES) == before
    # The search index (SQLite: the FTS5 trigger was set aside, so this is the rebuild's work) has both questions.
    assert len(search_messages(db, "kettle")) == 2
    with db.read() as s:
        hits = search.search(s, SYSTEM, q="kettle", kinds=["messages"])
        assert {h.conversation_id for h in hits.items} == set(s.scalars(select(Conversation.id)))


def test_an_import_stopped_by_bad_lines_still_builds_the_indexes(db):
    before = _schema(db, DEFERRED_TABLES)
    bad = [{"type": "conversation", "ref": f"x{i}"} for i in range(3)]  # no customer, no inbox
    report = import_records(db, [*DIRECTORY, conversation("zd-1"), *bad], max_errors=1)
    assert report.aborted
    assert _schema(db, DEFERRED_TABLES) == before
    with db.read() as s:
        assert s.scalars(select(DeferredIndex.name)).all() == []


def test_the_setting_off_keeps_every_index_in_place(db, settings):
    settings.import_defer_indexes = False
    report = import_records(db, [*DIRECTORY, conversation("zd-1")])
    assert report.indexes_built == []
    assert len(search_messages(db, "kettle")) == 1
