"""Playbooks: templates of steps (immutable versions), runs on conversations and the state of each step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class PlaybookTemplate(Base):
    """A named procedure; what it says lives in its versions (the newest one is what new runs start on)."""

    __tablename__ = "playbook_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PlaybookVersion(Base):
    """What a template says from its `number` on: its steps, what attaches it, whether it guards solving.

    `steps` is a list of {"title", "owner", "team_id", "role", "offset_seconds", "offset_from", "required",
    "evidence", "field", "action"} (playbooks.schemas validates it). `match` is {"categories": [...], "tags": [...]}.
    Versions are never edited: a run keeps the version it started on.
    """

    __tablename__ = "playbook_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("playbook_templates.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500), default="")
    steps: Mapped[list] = mapped_column(Json)
    match: Mapped[dict] = mapped_column(Json, default=dict)
    blocks_solve: Mapped[bool] = mapped_column(Boolean, default=False)
    # Business time on this calendar when the conversation runs no response clock on one; NULL: calendar time.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


RUNNING_SQL = "state = 'running'"


class PlaybookRun(Base):
    """One template version carried out on one conversation: running, completed or cancelled.

    A template runs at most once at a time on a conversation (`uq_playbook_runs_running`), so attaching twice, by
    hand or by a repeated event, starts nothing new. `calendar_version_id` is the business-hours calendar its step
    due times count on (NULL: calendar time), fixed when it starts. An override lets the conversation be solved
    with required steps open; who gave it, when and why are kept.
    """

    __tablename__ = "playbook_runs"
    __table_args__ = (
        Index("ix_playbook_runs_conversation", "conversation_id", "state"),
        Index(
            "uq_playbook_runs_running",
            "conversation_id",
            "template_id",
            unique=True,
            sqlite_where=text(RUNNING_SQL),
            postgresql_where=text(RUNNING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("playbook_templates.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("playbook_versions.id"))
    state: Mapped[str] = mapped_column(String(16))
    blocks_solve: Mapped[bool] = mapped_column(Boolean, default=False)
    calendar_version_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_versions.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    override_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    override_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


OVERDUE_SQL = "state = 'open' AND overdue_at IS NOT NULL"


class PlaybookStep(Base):
    """The state of one step of one run: open, done (by whom, when, with what evidence) or skipped.

    `due_at` is set when the step's clock starts (at the run's start, or when the step before it ends, as the
    template says); `overdue_at` when the due-time job found it still open. The supervisor board reads open overdue
    steps through `ix_playbook_steps_overdue`, never the conversations.
    """

    __tablename__ = "playbook_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "position"),
        Index(
            "ix_playbook_steps_overdue",
            "overdue_at",
            "id",
            sqlite_where=text(OVERDUE_SQL),
            postgresql_where=text(OVERDUE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # {"kind": "note", "message_id"} | {"kind": "attachment", "attachment_id"} | {"kind": "field", "key", "value"}
    evidence: Mapped[dict | None] = mapped_column(Json)
    skip_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
