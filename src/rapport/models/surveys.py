"""Surveys: definitions (versioned questions and send rules), one request per conversation per survey, answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class Survey(Base):
    """A named survey; its questions and send rules live in its versions (the newest is in force)."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyVersion(Base):
    """What a survey asks and when it is sent, from `created_at` on; never edited (a request keeps its version)."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # A list of questions (surveys.schemas.Question) and the send rules (surveys.schemas.Rules), as JSON.
    questions: Mapped[list] = mapped_column(Json)
    rules: Mapped[dict] = mapped_column(Json)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyRequest(Base):
    """One survey of one conversation: scheduled, sent, answered, expired or withdrawn.

    `due_at` is when the scanner's next step for it is due (sending while scheduled, expiry once sent); the link's
    token is kept only as a SHA-256 hash and is replaced when it is used, so a mailed link works once.
    """

    __tablename__ = "survey_requests"
    __table_args__ = (
        UniqueConstraint("conversation_id", "survey_id"),
        Index("ix_survey_requests_due", "state", "due_at"),
        Index("ix_survey_requests_customer", "customer_id", "created_at"),
        # A text reply ("4") finds the sender's open survey by number.
        Index("ix_survey_requests_target", "target", "state"),
        # The report reads one survey's requests sent in a period (migration 0032).
        Index("ix_survey_requests_report", "survey_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The hash of the link last used to answer: following it again says "already answered", not "not valid".
    spent_hash: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the customer asked for a callback on the thanks page (once per request; it is a note on the conversation).
    callback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyAnswer(Base):
    """One question's answer on one request: a re-answer within the window updates this row."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("request_id", "question"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("survey_requests.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer)
    choice: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyHold(Base):
    """ "Don't survey" on one conversation: set by an agent or by a macro they applied; the send rules skip it."""

    __tablename__ = "survey_holds"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    # The macro whose option set it (kept as a plain id: a deleted macro leaves the hold and its words).
    macro_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
