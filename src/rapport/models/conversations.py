"""Conversations, their tags, messages and attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime

# The active statuses as literal SQL: a partial index is only used when the query repeats its predicate
# literally (bound parameters cannot prove it), so the index and the list query share this one string.
ACTIVE_SQL = "status IN ('new', 'open', 'pending', 'on_hold')"
UNASSIGNED_SQL = "assignee_id IS NULL"
# The statuses in which a customer who wrote waits for an answer (the inbox's "Waiting longest", the supervisor
# board): pending waits on the customer and on_hold on a third party.
WAITING_SQL = "status IN ('new', 'open')"
# Snoozed conversations (hidden from the working views until they wake), as the Snoozed view's index says it.
SNOOZED_SQL = "snoozed_until IS NOT NULL"
# Priority as a rank, urgent highest: "sort by priority" reads an index on this very expression (both databases use
# an expression index only when the query repeats it), newest activity first within a rank.
PRIORITY_RANKS = {"urgent": 3, "high": 2, "normal": 1, "low": 0}  # the ranks it gives, for cursors
PRIORITY_RANK_SQL = "(CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END)"


_ACTIVE_VIEWS = (("inbox", ("inbox_id",)), ("team", ("team_id",)), ("assignee", ("assignee_id",)), ("all", ()))


class Conversation(Base):
    """One matter raised by a customer, across any number of channels; its id is its number."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_updated", "updated_at", "id"),
        Index("ix_conversations_created", "created_at", "id"),
        Index("ix_conversations_status_updated", "status", "updated_at", "id"),
        # The working views (active conversations by inbox, team, assignee, or all) read partial indexes that
        # hold only active conversations, so a page is 50 index entries however many are solved or closed.
        *(
            Index(
                f"ix_conversations_active_{name}",
                *cols,
                "updated_at",
                "id",
                sqlite_where=text(ACTIVE_SQL),
                postgresql_where=text(ACTIVE_SQL),
            )
            for name, cols in (
                ("inbox", ("inbox_id",)),
                ("team", ("team_id",)),
                ("assignee", ("assignee_id",)),
                ("all", ()),
            )
        ),
        # "Unassigned": a condition on the leading column of the assignee index does not give its order on
        # PostgreSQL (IS NULL is no equality), so the view has a partial index of its own.
        Index(
            "ix_conversations_active_unassigned",
            "updated_at",
            "id",
            sqlite_where=text(f"{ACTIVE_SQL} AND {UNASSIGNED_SQL}"),
            postgresql_where=text(f"{ACTIVE_SQL} AND {UNASSIGNED_SQL}"),
        ),
        # The supervisor board counts the open work by inbox, channel and assignee (waiting ones and the oldest wait
        # too) in one pass over this index alone: it covers every column the count reads.
        Index(
            "ix_conversations_active_board",
            "inbox_id",
            "channel",
            "assignee_id",
            "status",
            "last_inbound_at",
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
        # The longest waits, oldest customer message first, read in order (the board's list).
        Index(
            "ix_conversations_waiting",
            "last_inbound_at",
            "id",
            sqlite_where=text(WAITING_SQL),
            postgresql_where=text(WAITING_SQL),
        ),
        # Threading looks up "this customer's active conversation in this inbox" on every inbound message.
        Index("ix_conversations_customer_inbox", "customer_id", "inbox_id"),
        # The human queue: conversations whose customer asked for a person, oldest request first.
        Index("ix_conversations_human_requested", "human_requested_at"),
        # Due soon and "sort by due": active conversations with a running target, nearest deadline first.
        Index(
            "ix_conversations_active_due",
            "sla_due_at",
            "id",
            sqlite_where=text(f"{ACTIVE_SQL} AND sla_due_at IS NOT NULL"),
            postgresql_where=text(f"{ACTIVE_SQL} AND sla_due_at IS NOT NULL"),
        ),
        # The Snoozed view and the wake-up check: active snoozed conversations, soonest wake first.
        Index(
            "ix_conversations_snoozed",
            "snoozed_until",
            "id",
            sqlite_where=text(f"{ACTIVE_SQL} AND {SNOOZED_SQL}"),
            postgresql_where=text(f"{ACTIVE_SQL} AND {SNOOZED_SQL}"),
        ),
        # "Sort by priority": urgent first, newest activity first within a priority (read backwards).
        Index(
            "ix_conversations_active_priority",
            text(PRIORITY_RANK_SQL),
            "updated_at",
            "id",
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    channel: Mapped[str] = mapped_column(String(16))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    custom_fields: Mapped[dict] = mapped_column(Json, default=dict)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the customer asks for a person (chat button, IVR 0/"agent"); cleared when an agent takes it.
    human_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Opened by a message whose sender the channel could not authenticate (an email From failing DMARC).
    sender_unverified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The service-target policy that applies (sla/ alone writes these) and the nearest deadline of its clocks.
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Snoozed until then (conversations/snooze.py alone writes it): hidden from the working views, status unchanged.
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationTag(Base):
    """A tag on a conversation, one row each so views can filter by tag through an index."""

    __tablename__ = "conversation_tags"
    __table_args__ = (Index("ix_conversation_tags_tag", "tag", "conversation_id"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class Message(Base):
    """One entry in a conversation: inbound, outbound or an internal note, on a channel."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation", "conversation_id", "id"),
        # A customer's latest messages on a channel, whatever the conversation (WhatsApp's 24-hour window is
        # checked on every conversation page): without it that is a scan of every message.
        Index("ix_messages_customer", "customer_id", "created_at", "id"),
        # Idempotency of inbound delivery: a provider's id is seen once per inbox.
        UniqueConstraint("inbox_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    author_kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id"))
    external_id: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(String(500))
    meta: Mapped[dict] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Outbound delivery, as people see it: attempts made, when the next is due, and (while a send is in flight, or
    # after a crash in the middle of one) since when the provider was being called with no outcome recorded yet.
    delivery_attempts: Mapped[int | None] = mapped_column(Integer)
    delivery_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A file on a message; the bytes live on disk under the data directory by SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    declared_content_type: Mapped[str | None] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
