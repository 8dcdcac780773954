"""Service targets: policies (ordered, effective-dated versions) and the clocks they run on conversations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class SlaPolicy(Base):
    """A named policy; the first active one (by `position`) whose condition matches a conversation applies."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlaPolicyVersion(Base):
    """What a policy says from `effective_from` on: its condition tree and its targets.

    `targets` is a list of {"kind", "seconds", "business", "calendar_id", "pause_on", "warn_share"} (sla.targets
    validates it). Versions are never edited; a clock keeps the version it started under.
    """

    __tablename__ = "sla_policy_versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "effective_from"),
        Index("ix_sla_policy_versions_policy", "policy_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    condition: Mapped[dict] = mapped_column(Json)
    targets: Mapped[list] = mapped_column(Json)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Clocks the due-time job must look at: running ones with a warning or breach still ahead.
DUE_SQL = "next_at IS NOT NULL"


class SlaClock(Base):
    """One target running on one conversation: its state, its deadline and what it measured.

    States: running, paused, met, breached, cancelled. A breached clock keeps counting until it is stopped (the
    reply comes), so "late by" is measured; `stopped_at` says when. `next_at` is the next instant the due-time job
    has work on it (the warning, then the breach) and NULL otherwise, so the job reads only due rows.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_next", "next_at", "id", sqlite_where=text(DUE_SQL), postgresql_where=text(DUE_SQL)),
        Index("ix_sla_clocks_conversation", "conversation_id", "target"),
        Index("ix_sla_clocks_policy_version", "policy_version_id", "target", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("sla_policy_versions.id"))
    # first_reply, next_reply, periodic_update, resolution, human
    target: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    target_seconds: Mapped[int] = mapped_column(Integer)
    # Business time on this calendar version; NULL counts calendar time.
    calendar_version_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_versions.id"))
    warn_share: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Seconds (business or calendar, as the clock counts) spent before the current running stretch.
    spent_seconds: Mapped[int] = mapped_column(Integer, default=0)
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_reason: Mapped[str | None] = mapped_column(String(32))
    # What the clock measured when it stopped (met or breached): seconds, as it counts them.
    measured_seconds: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
