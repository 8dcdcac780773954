"""Categories in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from rapport.kit.schema import In, Out


class CategoryIn(In):
    """A new category."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=500)] = ""


class CategoryPatch(In):
    """Changes to a category; omitted fields stay as they are. `active: false` retires it."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    active: bool | None = None


class CategoryOut(Out):
    """A category conversations can be filed under."""

    id: int
    name: str
    description: str
    active: bool
    created_at: datetime
