"""The email channel's own records: each mailbox's fetch position, and every raw mail received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, UTCDateTime


class EmailMailbox(Base):
    """Where fetching an inbox's IMAP mailbox stands: UIDVALIDITY, the last UID stored, and who fetches it."""

    __tablename__ = "email_mailboxes"

    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"), primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    # One process fetches a mailbox at a time: a lease renewed while it works.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EmailReceipt(Base):
    """One raw mail as received (its bytes on disk by SHA-256) and what became of it.

    outcome: `message` (it became one), `duplicate` (a repeat of an earlier mail), `recorded` (an auto-reply or
    bounce kept on its conversation without becoming a message) or `quarantined` (kept with a `reason`).
    """

    __tablename__ = "email_receipts"
    __table_args__ = (
        # An IMAP message (mailbox, UIDVALIDITY, UID) is stored once; SMTP receipts have no UID.
        UniqueConstraint("inbox_id", "mailbox", "uidvalidity", "uid"),
        Index("ix_email_receipts_message_id_header", "inbox_id", "rfc_message_id"),
        Index("ix_email_receipts_content_hash", "inbox_id", "content_hash"),
        Index("ix_email_receipts_sender", "inbox_id", "sender", "created_at"),
        Index("ix_email_receipts_outcome", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    source: Mapped[str] = mapped_column(String(8))
    mailbox: Mapped[str | None] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    raw_size: Mapped[int] = mapped_column(Integer)
    rfc_message_id: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
