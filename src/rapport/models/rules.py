"""Rules: ordered, versioned "when … if … then …" definitions, and what their runs left behind.

A rule's definition (trigger, conditions, actions) lives in immutable versions; the rule points at its current one.
`rule_runs` holds one row per rule, conversation and event cycle: its unique key is what makes a rule fire at most
once per conversation per cycle, and a consumer handed the same event twice (delivery is at least once) finds it.
`rule_caused` marks the events a rule's actions wrote, with their cycle and depth, so a cascade can be followed and
stopped at its limit. `rule_tallies` are the counted events of count rules, read through their index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime


class Rule(Base):
    """A named rule of one kind (event, time or count), tried in `position` order while enabled."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version_id: Mapped[int | None] = mapped_column(BigId)  # the current version (set once it exists)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleVersion(Base):
    """One immutable definition of a rule (rules.schemas.Definition as JSON), numbered from 1."""

    __tablename__ = "rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(Json)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleRun(Base):
    """A rule's run on a conversation in one event cycle: fired, failed or stopped (loop, cascade limit)."""

    __tablename__ = "rule_runs"
    __table_args__ = (
        UniqueConstraint("rule_id", "conversation_id", "cycle_id"),
        Index("ix_rule_runs_conversation", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(BigId)
    conversation_id: Mapped[int] = mapped_column(BigId)
    cycle_id: Mapped[int] = mapped_column(BigId)  # the event that started the cycle
    event_id: Mapped[int] = mapped_column(BigId)  # the event this run answered
    depth: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))  # fired | failed | stopped
    detail: Mapped[str] = mapped_column(String(2000), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleCaused(Base):
    """An event a rule's actions wrote: which cycle it belongs to and how deep in the cascade."""

    __tablename__ = "rule_caused"

    event_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    cycle_id: Mapped[int] = mapped_column(BigId)
    depth: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[int] = mapped_column(BigId)


class RuleTally(Base):
    """One event a count rule counted for one subject (`customer:7`, `agent:3`, `conversation:12`)."""

    __tablename__ = "rule_tallies"
    __table_args__ = (
        UniqueConstraint("rule_id", "event_id"),
        Index("ix_rule_tallies_subject", "rule_id", "subject", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[int] = mapped_column(BigId)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
