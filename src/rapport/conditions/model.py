"""The condition tree: `all` / `any` / `not` over leaves `{field, op, value}`, validated against the field registry.

Serialised as JSON: `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` or `{"field": "status", "op": "in",
"value": ["new", "open"]}`. `parse` is the one entry point for outside input: it checks the named size limits before
anything recursive reads the input, and turns every failure into one 422 problem naming what is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError, ValidationInfo, model_validator
from pydantic import Field as Alias

from rapport.conditions import patterns
from rapport.conditions.fields import LIST_OPS, NO_VALUE_OPS, Field, lookup, names
from rapport.config import get_settings
from rapport.kit.problems import Invalid

TEXT_CHARS = 200  # a compared text value (a segment, a tag, a custom field's value)


class Leaf(BaseModel):
    """One test of one field: `{"field": "team", "op": "eq", "value": 3}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    op: str
    value: Any = None

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Leaf:
        scope = (info.context or {}).get("scope", "conversation")
        spec = lookup(self.field)
        if spec is None or (spec.scope != "conversation" and spec.scope != scope):
            raise ValueError(f"unknown field '{self.field}'; the fields are {', '.join(names(scope))}")
        if self.op not in spec.ops:
            raise ValueError(f"field '{self.field}' takes the operators {', '.join(spec.ops)}, not '{self.op}'")
        object.__setattr__(self, "value", _value(spec, self.op, self.value))
        return self

    @property
    def spec(self) -> Field:
        """The registry's entry for this leaf's field."""
        return lookup(self.field)  # type: ignore[return-value]  (checked when the leaf was made)


class All(BaseModel):
    """True when every child is (an empty `all` is true)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    all: list[Node]


class AnyOf(BaseModel):
    """True when at least one child is (an empty `any` is false)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: list[Node]


class Not(BaseModel):
    """True when its child is not."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    not_: Node = Alias(alias="not")


def _kind(raw: Any) -> str | None:
    keys = raw.keys() if isinstance(raw, dict) else vars(raw).keys() if isinstance(raw, BaseModel) else ()
    for key, tag in (("all", "all"), ("any", "any"), ("not", "not"), ("not_", "not"), ("field", "leaf")):
        if key in keys:
            return tag
    return None


Node = Annotated[
    Union[  # noqa: UP007  (a discriminated union of tagged members)
        Annotated[All, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[Not, Tag("not")],
        Annotated[Leaf, Tag("leaf")],
    ],
    Discriminator(_kind, custom_error_type="condition", custom_error_message="expected all, any, not or a field"),
]


def _value(spec: Field, op: str, value: Any) -> Any:
    """The leaf's value checked and normalised for its field and operator (a ValueError names what is wrong)."""
    if op in NO_VALUE_OPS:
        if value is not None:
            raise ValueError(f"operator '{op}' takes no value")
        return None
    if spec.kind == "pattern":
        if op in ("matches", "not_matches"):
            return patterns.check(value)
        if not isinstance(value, str) or not value or len(value) > TEXT_CHARS:
            raise ValueError(f"{spec.name} takes a text of 1 to {TEXT_CHARS} characters")
        return value
    if spec.kind == "calendar":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{spec.name} takes a calendar's id (a positive whole number)")
        return value
    if op in LIST_OPS:
        if not isinstance(value, list | tuple):
            raise ValueError(f"operator '{op}' takes a list of values")
        cap = get_settings().condition_max_values
        if len(value) > cap:
            raise ValueError(f"at most {cap} values in one list (RAPPORT_CONDITION_MAX_VALUES)")
        return tuple(sorted({_one(spec, v) for v in value}, key=repr))
    return _one(spec, value)


def _one(spec: Field, value: Any) -> Any:
    kind = spec.kind
    if kind == "choice":
        if value not in spec.choices:
            raise ValueError(f"{spec.name} must be one of {', '.join(spec.choices)}")
        return value
    if kind == "id":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{spec.name} takes an id (a positive whole number)")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{spec.name} takes true or false")
        return value
    if kind == "time":
        return _time(spec, value)
    if not isinstance(value, str) or not value or len(value) > TEXT_CHARS:
        raise ValueError(f"{spec.name} takes a text of 1 to {TEXT_CHARS} characters")
    return value


def _time(spec: Field, value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{spec.name} takes an ISO 8601 time, such as 2026-01-31T09:00:00Z") from None
    if not isinstance(value, datetime):
        raise ValueError(f"{spec.name} takes an ISO 8601 time, such as 2026-01-31T09:00:00Z")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


for _model in (All, AnyOf, Not):
    _model.model_rebuild()


class Condition(BaseModel):
    """A whole condition: the root node of a tree (the form stored and sent)."""

    model_config = ConfigDict(frozen=True)

    root: Node


def _size(raw: Any) -> tuple[int, int]:
    """The depth and the number of leaves of raw input, read without recursion and stopping past the limits."""
    settings = get_settings()
    depth_cap, leaf_cap = settings.condition_max_depth, settings.condition_max_leaves
    deepest, leaves, stack = 0, 0, [(raw, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > depth_cap or leaves > leaf_cap:
            break
        if not isinstance(node, dict):
            continue
        if "field" in node:
            leaves += 1
        for key in ("all", "any"):
            if isinstance(node.get(key), list):
                stack.extend((child, depth + 1) for child in node[key])
        if "not" in node:
            stack.append((node["not"], depth + 1))
    return deepest, leaves


def parse(raw: Any, *, where: str = "condition", scope: str = "conversation") -> Node:
    """A validated condition tree from outside input; Invalid (422) names the limit or the wrong part.

    `scope="rule"` also allows the fields only a rule sees (the event's message, its payload, business hours).
    """
    settings = get_settings()
    depth, leaves = _size(raw)
    if depth > settings.condition_max_depth:
        raise Invalid(
            f"The condition nests more than {settings.condition_max_depth} levels deep (RAPPORT_CONDITION_MAX_DEPTH).",
            errors=[{"field": where, "message": "too deep"}],
        )
    if leaves > settings.condition_max_leaves:
        raise Invalid(
            f"The condition has more than {settings.condition_max_leaves} tests (RAPPORT_CONDITION_MAX_LEAVES).",
            errors=[{"field": where, "message": "too many tests"}],
        )
    try:
        return Condition.model_validate({"root": raw}, context={"scope": scope}).root
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in first["loc"][1:] if p not in ("all", "any", "not", "leaf"))
        message = first["msg"].removeprefix("Value error, ")
        at = f"{where}.{path}" if path else where
        problem = Invalid(f"The condition is not valid at {at}: {message}.", errors=[{"field": at, "message": message}])
        raise problem from None


def dump(node: Node) -> dict:
    """The condition as JSON-ready data (what `parse` reads back)."""
    if isinstance(node, All):
        return {"all": [dump(c) for c in node.all]}
    if isinstance(node, AnyOf):
        return {"any": [dump(c) for c in node.any]}
    if isinstance(node, Not):
        return {"not": dump(node.not_)}
    value = node.value
    if isinstance(value, tuple):
        value = [v.isoformat() if isinstance(v, datetime) else v for v in value]
    elif isinstance(value, datetime):
        value = value.isoformat()
    out = {"field": node.field, "op": node.op}
    if value is not None:
        out["value"] = value
    return out


def leaf(field: str, op: str, value: Any = None) -> Leaf:
    """A leaf built in code (values are checked as from outside)."""
    return Leaf(field=field, op=op, value=value)


def every(*nodes: Node) -> All:
    """All of these conditions."""
    return All(all=list(nodes))
