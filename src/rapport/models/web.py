"""The workspace's own rows: saved inbox views, the sign-in attempts the login limit counts, rate-limited hits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class SavedView(Base):
    """An agent's own inbox view: a name and the filters it applies."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("agent_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """One password sign-in attempt, kept so failures per address within a window can be counted."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_ip_at", "ip", "attempted_at"),
        Index("ix_login_attempts_at", "attempted_at"),  # the daily purge of old attempts (agents.tasks)
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateHit(Base):
    """One use of a rate-limited action by one key (a mail's normalised target, a client address), kit.ratelimit."""

    __tablename__ = "rate_hits"
    __table_args__ = (
        Index("ix_rate_hits_key", "kind", "key", "created_at"),
        Index("ix_rate_hits_at", "created_at"),  # dropping rows past every window (kit.ratelimit)
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
