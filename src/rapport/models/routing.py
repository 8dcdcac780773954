"""Routing: assignment settings per team and inbox, agents' capacity and shift hours, skills, and the routing state
of a conversation (the skills it needs, whether its pool was widened)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class RoutingSetting(Base):
    """How a team's or an inbox's conversations reach agents (an inbox's setting wins over its team's)."""

    __tablename__ = "routing_settings"
    __table_args__ = (
        UniqueConstraint("team_id"),
        UniqueConstraint("inbox_id"),
        CheckConstraint("(team_id IS NULL) <> (inbox_id IS NULL)", name="one_scope"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id"))
    # balanced (most spare capacity), round_robin (next agent after the cursor) or manual (agents pull).
    mode: Mapped[str] = mapped_column(String(16), default="manual")
    # After this many seconds without a skilled agent, the conversation goes to the wider pool (None: never).
    spillover_seconds: Mapped[int | None] = mapped_column(Integer)
    # A returning customer goes to their previous agent for this many days when that agent has room (0: never).
    sticky_days: Mapped[int] = mapped_column(Integer, default=0)
    # Round robin: the agent who got the last conversation; the next one goes to the next agent by id.
    cursor_agent_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgentRouting(Base):
    """An agent's capacity for routed work: a total, a weight per channel and a cap per channel, and shift hours."""

    __tablename__ = "routing_agents"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    # {channel: weight}: a conversation on that channel counts this much of the capacity (1 when unnamed).
    channel_weights: Mapped[dict] = mapped_column(Json, default=dict)
    # {channel: cap}: at most this many active conversations on that channel (no cap when unnamed).
    channel_caps: Mapped[dict] = mapped_column(Json, default=dict)
    # Shift hours: routed work only while this calendar is open (None: whenever the agent is online).
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoutingSkill(Base):
    """A skill agents hold and conversations may require or prefer: a language, a product, anything else."""

    __tablename__ = "routing_skills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="other")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationRouting(Base):
    """A conversation's routing needs: skills required and preferred, and when its pool was widened (spillover)."""

    __tablename__ = "routing_conversations"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    required_skills: Mapped[list] = mapped_column(Json, default=list)
    preferred_skills: Mapped[list] = mapped_column(Json, default=list)
    widened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
