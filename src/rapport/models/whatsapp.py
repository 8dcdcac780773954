"""WhatsApp delivery statuses as Meta reported them, and the customer portal's links and sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, UTCDateTime


class WhatsAppStatus(Base):
    """One status webhook (sent, delivered, read, failed) for one of our wamids, kept once.

    Meta may report a status before the sending transaction has stored the wamid; the row waits here and the
    sender applies it when it records the wamid.
    """

    __tablename__ = "whatsapp_statuses"
    __table_args__ = (UniqueConstraint("inbox_id", "wamid", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    wamid: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(500))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PortalLink(Base):
    """An emailed sign-in link: the token is stored only as its SHA-256; single use, expiring."""

    __tablename__ = "portal_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    # Set on the link mailed after a web form request from a new address: using it proves the address.
    verifies: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PortalSession(Base):
    """A signed-in customer's browser session (separate from agent sessions)."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
