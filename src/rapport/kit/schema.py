"""Base Pydantic models: strict input (unknown fields refused), attribute-reading output."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class In(BaseModel):
    """Request bodies: unknown fields and wrong types are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """Response bodies, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):  # noqa: UP046  (Python 3.11 has no PEP 695 syntax)
    """A page of results and the cursor of the next one (null at the end)."""

    items: list[T]
    next_cursor: str | None = None
