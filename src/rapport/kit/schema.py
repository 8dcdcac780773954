"""Base Pydantic models and the bounded input types every route uses.

Every value a client sends is checked here before any code sees it: integers fit a 64-bit column (an id beyond
that is a 422, not a database overflow), strings hold no NUL (PostgreSQL cannot store one), and a PATCH field
that may not be null refuses an explicit `null` (naming the field) instead of reaching the service as None.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")

MAX_INT = 2**63 - 1  # the largest value a BIGINT (and SQLite's INTEGER) column holds
MIN_INT = -(2**63)


def no_nul(value: str) -> str:
    """Refuse a string holding a NUL character (no database column stores one, and no person types one)."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character (\\u0000)")
    return value


# An id in a path, a query or a body: a positive 64-bit integer.
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
# Any other integer a client sends (a page size, a cursor): within 64 bits.
Int = Annotated[int, Field(ge=MIN_INT, le=MAX_INT)]
# Any string a client sends: no NUL.
Str = Annotated[str, AfterValidator(no_nul)]


def _check(value: Any) -> Any:
    """Walk a raw input value: refuse NUL in any string and integers beyond 64 bits, at any depth."""
    if isinstance(value, str):
        no_nul(value)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise ValueError(f"must be an integer between {MIN_INT} and {MAX_INT}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item)
    return value


class In(BaseModel):
    """Request bodies: unknown fields and wrong types are errors, not silently dropped; no NUL, no huge integers.

    A field declared without `None` in its type refuses an explicit null even when it may be omitted: give it the
    default `MISSING` (pydantic's sentinel), so "not sent" and "sent as null" differ and the schema says so.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="wrap")
    @classmethod
    def _inputs(cls, data: Any, handler):
        if isinstance(data, dict):
            errors = []
            for key, value in data.items():
                try:
                    _check(value)
                except ValueError as exc:
                    errors.append((key, str(exc)))
            if errors:
                from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

                raise ValidationError.from_exception_data(
                    cls.__name__,
                    [
                        InitErrorDetails(
                            type=PydanticCustomError("value_error", "Value error, {reason}", {"reason": reason}),
                            loc=(key,),
                            input=data[key],
                        )
                        for key, reason in errors
                    ],
                )
        return handler(data)


class Out(BaseModel):
    """Response bodies, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):  # noqa: UP046  (Python 3.11 has no PEP 695 syntax)
    """A page of results and the cursor of the next one (null at the end)."""

    items: list[T]
    next_cursor: str | None = None
