"""Base Pydantic models and the bounded input types every route uses.

Every value a client sends is checked here before any code sees it: integers fit a 64-bit column (an id beyond
that is a 422, not a database overflow), strings hold no NUL (PostgreSQL cannot store one), and a PATCH field
that may not be null refuses an explicit `null` (naming the field) instead of reaching the service as None.
"""

from __future__ import annotations

from types import GenericAlias, UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

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


def page_size(value: int) -> int:
    """Refuse a page size beyond RAPPORT_MAX_PAGE_SIZE, naming the setting (its floor of 1 is in the type)."""
    from rapport.config import get_settings

    cap = get_settings().max_page_size
    if value > cap:
        raise ValueError(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE)")
    return value


# How many items a page holds. The cap is a setting, so the type carries its name and web.openapi writes the
# configured value as `maximum` into the document: what the document allows, the API accepts.
Limit = Annotated[
    int,
    Field(ge=1, le=MAX_INT, json_schema_extra={"x-rapport-maximum": "max_page_size"}),
    AfterValidator(page_size),
]
# A string a person must fill: after the whitespace `In` strips, at least one character remains.
FILLED = "^\\s*[^\\s\\x00][^\\x00]*$"
# Patterns below describe a value without surrounding whitespace (which `In` strips, so it is also accepted).
# A mail address as customers.identities accepts it (checked there, after stripping and lower-casing).
EMAIL = "^[^@\\s<>\\x00]+@[^@\\s<>\\x00]+\\.[^@\\s<>\\x00]+$"
_J = "[ ().\\-]*"  # what a person types between digits: ignored
# E.164 as a person types it: an optional + (or 00) and 5 to 15 digits; spaces, dots, dashes and brackets ignored.
PHONE = (
    f"^(?:{_J}\\+(?:{_J}[0-9]){{5,15}}|{_J}0{_J}0(?:{_J}[0-9]){{5,15}}"
    f"|{_J}[1-9](?:{_J}[0-9]){{4,14}}|{_J}0{_J}[1-9](?:{_J}[0-9]){{3,13}}){_J}$"
)
# base64 as `base64.b64decode(validate=True)` takes it: padded to a multiple of four.
BASE64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"

# The patterns are documented, not enforced here: the service checks the same rule and words its own error.
Email = Annotated[str, Field(max_length=320, json_schema_extra={"pattern": EMAIL, "examples": ["ana@example.com"]})]
Phone = Annotated[str, Field(max_length=64, json_schema_extra={"pattern": PHONE, "examples": ["+14155550100"]})]


def needs_one_of(*fields: str, lists: tuple[str, ...] = ()) -> dict:
    """A JSON Schema rule (for `json_schema_extra`): at least one of `fields` holds text, or one of `lists` an item."""
    filled = [{"required": [f], "properties": {f: {"type": "string", "pattern": FILLED}}} for f in fields]
    return {"anyOf": filled + [{"required": [f], "properties": {f: {"type": "array", "minItems": 1}}} for f in lists]}


# An opaque page cursor as the API issues it (unpadded base64url); only one the API returned is valid.
Cursor = Annotated[str, Field(min_length=1, max_length=1024, pattern="^[A-Za-z0-9_-]+$")]


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


def _members(annotation: Any) -> set:
    """The plain types an annotation admits (unions and Annotated unwrapped; None and sentinels left out)."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return set().union(*(_members(a) for a in get_args(annotation)))
    if annotation is type(None) or not isinstance(annotation, type | GenericAlias):
        return set()
    return {annotation}


def _json_kind(annotation: Any) -> tuple[str, bool] | None:
    """("bool" or "int", whether it is a list of them) for a field JSON gives a type of its own, else None."""
    members = _members(annotation)
    if len(members) != 1:
        return None
    (member,) = members
    many = get_origin(member) is list
    if many:
        members = _members(get_args(member)[0]) if get_args(member) else set()
        if len(members) != 1:
            return None
        (member,) = members
    if member is bool:
        return "bool", many
    if member is int:
        return "int", many
    return None


def _json_type_error(kind: str, value: Any) -> str | None:
    """Why `value` is not a JSON boolean or integer (pydantic's lax mode would take "1", 0 or 2.5 for them)."""
    if value is None:
        return None
    if kind == "bool" and not isinstance(value, bool):
        return "must be true or false"
    integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "int" and (isinstance(value, bool) or not integral):
        return "must be an integer"
    return None


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
                    continue
                field = cls.model_fields.get(key)
                json_kind = _json_kind(field.annotation) if field is not None else None
                if json_kind is not None:
                    kind, many = json_kind
                    items = value if many and isinstance(value, list) else [] if many else [value]
                    reason = next(filter(None, (_json_type_error(kind, item) for item in items)), None)
                    if reason:
                        errors.append((key, reason))
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
