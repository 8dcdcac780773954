"""The web chat channel: anonymous visitors (a secret token, stored hashed) and their email verifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, UTCDateTime


class ChatVisitor(Base):
    """A browser talking to a chat inbox; `address` is its `chat` identity, the token its only credential."""

    __tablename__ = "chat_visitors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"), index=True)
    # SHA-256 of the visitor token; the token itself is only ever in the visitor's browser.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # The conversation the visitor's latest message went to: all an unverified visitor may read.
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    continue_by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    # Messages per hour (RAPPORT_CHAT_MAX_MESSAGES_PER_HOUR): a fixed window kept on the row.
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChatVerification(Base):
    """A code mailed to prove a visitor owns an email address, typed into the widget that asked: hashed, expiring,
    single use, a few tries (older rows hold a link's token_hash instead)."""

    __tablename__ = "chat_verifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("chat_visitors.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    # SHA-256 of "<token_hash>:<code>": the random token_hash salts the short code.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
