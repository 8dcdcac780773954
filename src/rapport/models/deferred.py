"""Indexes set aside while a bulk load fills empty tables, until they are built again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import UTCDateTime


class DeferredIndex(Base):
    """An index (or search trigger) dropped for a bulk load: the statement that builds it again.

    Written in the transaction that drops it, deleted in the one that builds it, so a load that dies half-way
    leaves a list of what to rebuild (db.deferred.restore, run by every migrate).
    """

    __tablename__ = "deferred_indexes"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    create_sql: Mapped[str] = mapped_column(Text)
    # Run after create_sql in the same transaction: SQLite's search index is filled again from its table.
    then_sql: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
