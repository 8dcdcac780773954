"""categories: an admin-managed list conversations reference by id; saved views store a condition tree

Revision ID: 0022
Revises: 0021

Each distinct free-text category becomes a row (its name trimmed; names differing only in case become one),
conversations point at it, and the text column goes. Saved views' flat filters ({"status": "open", "tag": …})
become the condition tree they meant (docs/conditions.md), their category named by id.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ACTIVE = ["new", "open", "on_hold", "pending"]


def upgrade() -> None:
    """Create categories, move conversations onto them, and rewrite saved views' filters as conditions."""
    categories = op.create_table(
        "categories",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_categories_name")),
    )
    # Plain ADD/DROP COLUMN, not batch mode: on SQLite a batch copies the table and drops its full-text triggers.
    # SQLite takes the foreign key inline (named as the models' convention names it); PostgreSQL as a constraint.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE conversations ADD COLUMN category_id INTEGER "
            "CONSTRAINT fk_conversations_category_id_categories REFERENCES categories (id)"
        )
    else:
        op.add_column("conversations", sa.Column("category_id", BigId, nullable=True))
        op.create_foreign_key(
            op.f("fk_conversations_category_id_categories"), "conversations", "categories", ["category_id"], ["id"]
        )
    conn = op.get_bind()
    now = datetime.now(UTC)
    ids: dict[str, int] = {}
    for (raw,) in conn.execute(sa.text("SELECT DISTINCT category FROM conversations WHERE category IS NOT NULL")):
        name = raw.strip()[:100]
        if not name:
            continue
        key = name.casefold()
        if key not in ids:
            conn.execute(categories.insert().values(name=name, description="", active=True, created_at=now))
            ids[key] = conn.execute(sa.text("SELECT id FROM categories WHERE name = :n"), {"n": name}).scalar_one()
        conn.execute(
            sa.text("UPDATE conversations SET category_id = :id WHERE category = :raw"), {"id": ids[key], "raw": raw}
        )
    op.drop_column("conversations", "category")
    views = sa.table("saved_views", sa.column("id", BigId), sa.column("filters", Json))
    for view_id, filters in conn.execute(sa.select(views.c.id, views.c.filters)).all():
        tree = _tree(filters or {}, ids)
        conn.execute(views.update().where(views.c.id == view_id).values(filters=tree))


def _tree(flat: dict, ids: dict[str, int]) -> dict:
    """The condition a saved view's flat filters meant (the views' code before 0019 read them this way)."""
    if "all" in flat:
        return flat  # already a condition
    status = flat.get("status")
    tests = [
        {"field": "status", "op": "eq", "value": status} if status else {"field": "status", "op": "in", "value": ACTIVE}
    ]
    for key, field in (("channel", "channel"), ("priority", "priority"), ("inbox_id", "inbox"), ("team_id", "team")):
        if flat.get(key):
            tests.append({"field": field, "op": "eq", "value": flat[key]})
    if flat.get("tag"):
        tests.append({"field": "tag", "op": "has", "value": flat["tag"]})
    if flat.get("segment"):
        tests.append({"field": "segment", "op": "eq", "value": flat["segment"]})
    if flat.get("category"):
        found = ids.get(str(flat["category"]).strip().casefold())
        # A category no conversation had matched nothing, and still matches nothing (an empty list).
        test = (
            {"field": "category", "op": "eq", "value": found}
            if found
            else {"field": "category", "op": "in", "value": []}
        )
        tests.append(test)
    return {"all": tests}


def downgrade() -> None:
    """Put the category names back as text (saved views keep their conditions)."""
    op.add_column("conversations", sa.Column("category", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE conversations SET category = (SELECT name FROM categories WHERE categories.id = conversations.category_id)"
    )
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        op.drop_column("conversations", "category_id")
    else:
        # SQLite cannot drop a column a foreign key names, so the table is copied (batch mode), and the copy
        # loses the full-text triggers: they are put back as they were.
        listed = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'conversations'"
        triggers = conn.execute(sa.text(listed)).all()
        with op.batch_alter_table("conversations") as batch:
            batch.drop_column("category_id")
        kept = {name for name, _ in conn.execute(sa.text(listed)).all()}
        for name, sql in triggers:
            if name not in kept:
                conn.execute(sa.text(sql))
    op.drop_table("categories")
