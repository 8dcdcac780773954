"""Macros (canned replies with placeholders and field changes) and the record of each use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class Macro(Base):
    """A canned reply (with placeholders), an optional internal note and field changes, applied in one step.

    Visibility: `personal` (its owner only), `team` (the members of `team_id`) or `shared` (everyone).
    """

    __tablename__ = "macros"
    __table_args__ = (
        CheckConstraint("visibility IN ('personal', 'team', 'shared')", name="visibility"),
        Index("ix_macros_owner", "owner_id"),
        Index("ix_macros_team", "team_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    visibility: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))  # personal macros
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))  # team macros
    body: Mapped[str] = mapped_column(Text, default="")  # the reply, with {{ placeholders }}; empty: no reply
    note: Mapped[str] = mapped_column(Text, default="")  # an internal note, with placeholders; empty: none
    # The field changes, as macros.schemas.MacroChanges stores them (status, priority, team_id, assignee_id, tags,
    # category, custom fields); validated when saved and again when applied.
    changes: Mapped[dict] = mapped_column(Json, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MacroUsage(Base):
    """One application of a macro: who applied it to which conversation, when (the source of its measures)."""

    __tablename__ = "macro_usages"
    __table_args__ = (
        # A macro's measures read its uses in time order; the reopen check then looks up each conversation's
        # events through ix_events_conversation.
        Index("ix_macro_usages_macro", "macro_id", "applied_at"),
        Index("ix_macro_usages_conversation", "conversation_id", "applied_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    macro_id: Mapped[int] = mapped_column(ForeignKey("macros.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # the reply it sent, if any
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The end of the window in which a reopen counts against the macro (RAPPORT_MACRO_REOPEN_DAYS when applied):
    # stored, so the measure is one portable comparison and a later change of the setting rewrites no history.
    reopen_until: Mapped[datetime] = mapped_column(UTCDateTime)
