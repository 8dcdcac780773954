"""Recognition: who took part in an answered survey's conversation, the kudos a positive answer gave them, and the
follow-up tasks (a recovery call for an unhappy answer, a personal thank-you for a delighted one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class Attribution(Base):
    """One agent who took part in an answered survey's conversation, with the answer's classification."""

    __tablename__ = "recognition_attributions"
    __table_args__ = (
        UniqueConstraint("request_id", "agent_id"),
        Index("ix_recognition_attributions_agent", "agent_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("survey_requests.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    replied: Mapped[bool] = mapped_column(Boolean, default=False)  # sent a public reply
    assignee: Mapped[bool] = mapped_column(Boolean, default=False)  # held the conversation when it was answered
    last_responder: Mapped[bool] = mapped_column(Boolean, default=False)
    classification: Mapped[str] = mapped_column(String(16))  # positive, neutral, negative
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Kudos(Base):
    """A positive answer credited to one agent who took part: what the customer said, shown on their page and the
    team's feed. A re-answer updates it; one that is no longer positive removes it."""

    __tablename__ = "kudos"
    __table_args__ = (
        UniqueConstraint("request_id", "agent_id"),
        Index("ix_kudos_agent", "agent_id", "created_at"),
        Index("ix_kudos_team", "team_id", "created_at"),
        Index("ix_kudos_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("survey_requests.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    summary: Mapped[str] = mapped_column(String(200))  # "CSAT 5/5, expectations exceeded"
    comment: Mapped[str] = mapped_column(Text, default="")  # plain text, cleaned; shown escaped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FollowUp(Base):
    """A task made by an answer: `recovery` (the team lead calls an unhappy customer back, with a reason code and an
    outcome) or `thanks` (the agent thanks a delighted one). One of each kind per survey request at most."""

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("request_id", "kind"),
        Index("ix_followups_state_due", "state", "due_at"),
        Index("ix_followups_owner", "owner_id", "state"),
        Index("ix_followups_team", "team_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("survey_requests.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    kind: Mapped[str] = mapped_column(String(16))  # recovery, thanks
    state: Mapped[str] = mapped_column(String(16))  # open, done, cancelled
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    signals: Mapped[list] = mapped_column(Json, default=list)  # why: ["csat_low", "nps_detractor", ...]
    summary: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    calendar_version_id: Mapped[int | None] = mapped_column(BigId)  # what the due time counted on (None: every hour)
    reason_code: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
