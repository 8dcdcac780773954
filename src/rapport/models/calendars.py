"""Business-hours calendars and their effective-dated versions (the arithmetic is kit.business_time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class BusinessCalendar(Base):
    """A named calendar (office hours, 24/7 …); what it says lives in its versions."""

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarVersion(Base):
    """What a calendar says from `effective_from` on: a `kit.calendar_spec.Calendar` as JSON.

    Versions are never edited: an edit adds a version that applies from a chosen instant, and a clock keeps the
    version it started under, so next year's hours never rewrite last year's results.
    """

    __tablename__ = "calendar_versions"
    __table_args__ = (
        UniqueConstraint("calendar_id", "effective_from"),
        Index("ix_calendar_versions_calendar", "calendar_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    spec: Mapped[dict] = mapped_column(Json)
    # The iCal feed this version's closures came from (its text is not kept) and the items opted out by UID.
    feed_name: Mapped[str | None] = mapped_column(String(200))
    feed_opt_out: Mapped[list] = mapped_column(Json, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
