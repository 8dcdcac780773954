"""playbooks: templates, their immutable versions, runs on conversations and the state of each step

Revision ID: 0027
Revises: 0026

A run keeps the template version it started on; `uq_playbook_runs_running` lets a template run once at a time on a
conversation. `ix_playbook_steps_overdue` holds only open overdue steps, which the supervisor board lists.
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

RUNNING = "state = 'running'"
OVERDUE = "state = 'open' AND overdue_at IS NOT NULL"


def _fk(table: str, column: str, target: str, **options) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **options)


def _when(*names: str, nullable: bool = True) -> list:
    return [sa.Column(name, UTCDateTime(timezone=True), nullable=nullable) for name in names]


def _ids(*names: str, nullable: bool = True) -> list:
    return [sa.Column(name, BigId, nullable=nullable) for name in names]


def upgrade() -> None:
    """Create the four playbook tables and their indexes."""
    op.create_table(
        "playbook_templates",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        *_when("created_at", "updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_playbook_templates_name")),
    )
    op.create_table(
        "playbook_versions",
        *_ids("id", "template_id", nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("steps", Json, nullable=False),
        sa.Column("match", Json, nullable=False),
        sa.Column("blocks_solve", sa.Boolean(), nullable=False),
        *_ids("calendar_id", "created_by_id"),
        *_when("created_at", nullable=False),
        _fk("playbook_versions", "template_id", "playbook_templates", ondelete="CASCADE"),
        _fk("playbook_versions", "calendar_id", "calendars"),
        _fk("playbook_versions", "created_by_id", "agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_versions")),
        sa.UniqueConstraint("template_id", "number", name=op.f("uq_playbook_versions_template_id_number")),
    )
    op.create_table(
        "playbook_runs",
        *_ids("id", "conversation_id", "template_id", "version_id", nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("blocks_solve", sa.Boolean(), nullable=False),
        *_ids("calendar_version_id"),
        sa.Column("reason", sa.String(length=200), nullable=False),
        *_ids("started_by_id"),
        *_when("started_at", nullable=False),
        *_when("ended_at"),
        *_ids("ended_by_id"),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        *_ids("override_by_id"),
        *_when("override_at"),
        sa.Column("override_reason", sa.String(length=500), nullable=True),
        *_when("updated_at", nullable=False),
        _fk("playbook_runs", "conversation_id", "conversations"),
        _fk("playbook_runs", "template_id", "playbook_templates"),
        _fk("playbook_runs", "version_id", "playbook_versions"),
        _fk("playbook_runs", "calendar_version_id", "calendar_versions"),
        _fk("playbook_runs", "started_by_id", "agents"),
        _fk("playbook_runs", "ended_by_id", "agents"),
        _fk("playbook_runs", "override_by_id", "agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
    )
    op.create_index("ix_playbook_runs_conversation", "playbook_runs", ["conversation_id", "state"])
    op.create_index(
        "uq_playbook_runs_running",
        "playbook_runs",
        ["conversation_id", "template_id"],
        unique=True,
        sqlite_where=sa.text(RUNNING),
        postgresql_where=sa.text(RUNNING),
    )
    op.create_table(
        "playbook_steps",
        *_ids("id", "run_id", "conversation_id", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        *_when("due_at", "overdue_at", "done_at"),
        *_ids("done_by_id"),
        sa.Column("evidence", Json, nullable=True),
        sa.Column("skip_reason", sa.String(length=500), nullable=True),
        *_when("updated_at", nullable=False),
        _fk("playbook_steps", "run_id", "playbook_runs", ondelete="CASCADE"),
        _fk("playbook_steps", "conversation_id", "conversations"),
        _fk("playbook_steps", "done_by_id", "agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_steps")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_playbook_steps_run_id_position")),
    )
    op.create_index(
        "ix_playbook_steps_overdue",
        "playbook_steps",
        ["overdue_at", "id"],
        sqlite_where=sa.text(OVERDUE),
        postgresql_where=sa.text(OVERDUE),
    )


def downgrade() -> None:
    """Drop the playbook tables."""
    op.drop_index("ix_playbook_steps_overdue", table_name="playbook_steps")
    op.drop_table("playbook_steps")
    op.drop_index("uq_playbook_runs_running", table_name="playbook_runs")
    op.drop_index("ix_playbook_runs_conversation", table_name="playbook_runs")
    op.drop_table("playbook_runs")
    op.drop_table("playbook_versions")
    op.drop_table("playbook_templates")
