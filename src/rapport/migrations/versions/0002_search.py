"""full-text search: SQLite FTS5 tables kept by triggers, PostgreSQL tsvector columns with GIN indexes

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, FTS columns): each indexed by the database's own engine.
SEARCHED = {
    "messages": ("body_text",),
    "conversations": ("subject",),
    "customers": ("name", "company"),
}


def upgrade() -> None:
    """Create the search index on whichever database this is."""
    if op.get_bind().dialect.name == "sqlite":
        for table, cols in SEARCHED.items():
            _sqlite_fts(table, cols)
    else:
        for table, cols in SEARCHED.items():
            doc = " || ' ' || ".join(f"coalesce({c}, '')" for c in cols)
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('english', {doc})) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search)")


def _sqlite_fts(table: str, cols: tuple[str, ...]) -> None:
    # External-content FTS5: the text is stored once, in the base table; triggers keep the index in step.
    names = ", ".join(cols)
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)
    op.execute(
        f"CREATE VIRTUAL TABLE {table}_fts USING fts5({names}, content='{table}', "
        f"content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {table}_fts(rowid, {names}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {names}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {names} ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {table}_fts(rowid, {names}) VALUES (new.id, {new}); END"
    )


def downgrade() -> None:
    """Drop the search index."""
    if op.get_bind().dialect.name == "sqlite":
        for table in SEARCHED:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    else:
        for table in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search")
