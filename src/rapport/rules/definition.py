"""A rule's definition: JSON checked by Pydantic and the registries, never evaluated code.

    {"events": ["message.received"],
     "conditions": {"all": [{"field": "message.text", "op": "contains", "value": "refund"}]},
     "actions": [{"type": "set_priority", "params": {"priority": "high"}}],
     "cascade": false,
     "delay": {"minutes": 120, "business": true, "calendar_id": 1},        (time rules)
     "count": {"per": "customer", "window_days": 7, "nth": 3}}             (count rules)

`check` is the one entry for outside input: every failure is one 422 naming the place, and nothing is written
before it passes. `compile` turns a stored version into what the engine runs (cached: versions never change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.orm import Session

from rapport.conditions import evaluate
from rapport.conditions.model import Node, dump, parse
from rapport.config import get_settings
from rapport.kit.problems import Invalid
from rapport.rules import vocabulary

KINDS = ("event", "time", "count")
MINUTES_CAP = 366 * 24 * 60  # a time rule waits at most a year


class Delay(BaseModel):
    """How long after its event a time rule acts: minutes of calendar time, or of a calendar's business hours."""

    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(ge=1, le=MINUTES_CAP)
    business: bool = False
    calendar_id: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _calendar(self) -> Delay:
        if self.business and self.calendar_id is None:
            raise ValueError("business time needs a calendar_id (the calendar whose hours count)")
        return self


class Count(BaseModel):
    """What a count rule counts per subject, over how many days, and when it fires (the nth, or every nth)."""

    model_config = ConfigDict(extra="forbid")

    per: Literal["customer", "conversation", "agent"]
    window_days: int | None = Field(default=None, ge=1, le=366)
    nth: int | None = Field(default=None, ge=1, le=1_000_000)
    every: int | None = Field(default=None, ge=2, le=1_000_000)

    @model_validator(mode="after")
    def _one(self) -> Count:
        if (self.nth is None) == (self.every is None):
            raise ValueError("give exactly one of nth (fire on that count) and every (fire on each multiple)")
        return self


class ActionSpec(BaseModel):
    """One action: its registered type and its parameters (checked by the type's own model)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=60)
    params: dict[str, Any] = Field(default_factory=dict)


class Shape(BaseModel):
    """The definition's outline, before the registries check its events, conditions and actions."""

    model_config = ConfigDict(extra="forbid")

    events: list[str] = Field(min_length=1, max_length=20)
    conditions: dict[str, Any] | None = None
    actions: list[ActionSpec] = Field(min_length=1)
    cascade: bool = False
    delay: Delay | None = None
    count: Count | None = None


def _invalid(where: str, message: str) -> Invalid:
    return Invalid(f"The rule is not valid at {where}: {message}.", errors=[{"field": where, "message": message}])


def check(session: Session, kind: str, raw: Any) -> dict:
    """The definition as stored, after checking it against its kind and the registries; Invalid (422) otherwise."""
    if kind not in KINDS:
        raise _invalid("kind", f"a rule is one of {', '.join(KINDS)}, not '{kind}'")
    try:
        shape = Shape.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(["definition", *(str(p) for p in first["loc"])])
        raise _invalid(where, first["msg"].removeprefix("Value error, ")) from None
    for i, name in enumerate(shape.events):
        if not vocabulary.known_event(name):
            message = f"unknown event '{name}' (GET /api/v1/rules/vocabulary lists them)"
            raise _invalid(f"definition.events.{i}", message)
    if kind == "time" and shape.delay is None:
        raise _invalid("definition.delay", "a time rule needs a delay")
    if kind == "count" and shape.count is None:
        raise _invalid("definition.count", "a count rule needs a count")
    if kind != "time" and shape.delay is not None:
        raise _invalid("definition.delay", f"only a time rule has a delay, not this {kind} rule")
    if kind != "count" and shape.count is not None:
        raise _invalid("definition.count", f"only a count rule has a count, not this {kind} rule")
    cap = get_settings().rules_max_actions
    if len(shape.actions) > cap:
        raise _invalid("definition.actions", f"at most {cap} actions in one rule (RAPPORT_RULES_MAX_ACTIONS)")
    condition = None
    if shape.conditions is not None:
        condition = dump(parse(shape.conditions, where="definition.conditions", scope="rule"))
    actions = [_action(session, i, spec) for i, spec in enumerate(shape.actions)]
    return {
        "events": sorted(set(shape.events)),
        "conditions": condition,
        "actions": actions,
        "cascade": shape.cascade,
        **({"delay": shape.delay.model_dump()} if shape.delay else {}),
        **({"count": shape.count.model_dump()} if shape.count else {}),
    }


def _action(session: Session, i: int, spec: ActionSpec) -> dict:
    found = vocabulary.action(spec.type)
    where = f"definition.actions.{i}"
    if found is None:
        known = ", ".join(vocabulary.action_names())
        raise _invalid(f"{where}.type", f"unknown action '{spec.type}'; the actions are {known}")
    try:
        params = found.params.model_validate(spec.params)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise _invalid(f"{where}.params" + (f".{path}" if path else ""), message) from None
    if found.check is not None:
        found.check(session, params)
    return {"type": spec.type, "params": params.model_dump(mode="json")}


@dataclass(frozen=True)
class Compiled:
    """A rule version as the engine runs it."""

    rule_id: int
    name: str
    kind: str
    position: int
    version_id: int
    number: int
    events: frozenset[str]
    condition: Node | None
    actions: tuple[tuple[vocabulary.Action, BaseModel], ...]
    cascade: bool
    delay: Delay | None
    count: Count | None
    calendars: frozenset[int]


def unsaved(kind: str, stored: dict) -> Compiled:
    """The runnable form of a checked definition not saved yet (a replay)."""
    return Compiled(0, "(not saved)", kind, 0, 0, 0, *parts(stored))


def compile(  # noqa: A001  (reads as what it does)
    rule_id: int, name: str, kind: str, position: int, version_id: int, number: int, stored: dict
) -> Compiled:
    """The runnable form of a stored definition (its parts parsed once per version)."""
    parts = _parts(version_id, stored)
    return Compiled(rule_id, name, kind, position, version_id, number, *parts)


_PARTS: dict[int, tuple[dict, tuple]] = {}
PARTS_KEPT = 4096  # rule versions kept parsed


def parts(stored: dict) -> tuple:
    """The parsed parts of a stored definition (events, condition, actions, cascade, delay, count, calendars)."""
    condition = parse(stored["conditions"], scope="rule") if stored.get("conditions") else None
    actions = []
    for spec in stored["actions"]:
        found = vocabulary.action(spec["type"])
        if found is None:  # its package is gone: the rule fails at run time, recorded
            raise LookupError(f"the action '{spec['type']}' is no longer available")
        actions.append((found, found.params.model_validate(spec["params"])))
    return (
        frozenset(stored["events"]),
        condition,
        tuple(actions),
        bool(stored.get("cascade")),
        Delay.model_validate(stored["delay"]) if stored.get("delay") else None,
        Count.model_validate(stored["count"]) if stored.get("count") else None,
        frozenset(evaluate.calendars(condition)) if condition is not None else frozenset(),
    )


def _parts(version_id: int, stored: dict) -> tuple:
    """A version's parsed parts, parsed once: a version is never edited, so its id keys them; the stored definition is
    compared too (a dict comparison, far cheaper than parsing), for databases that reuse ids (tests, a restore)."""
    kept = _PARTS.get(version_id)
    if kept is not None and kept[0] == stored:
        return kept[1]
    parsed = parts(stored)
    if len(_PARTS) >= PARTS_KEPT:
        _PARTS.clear()
    _PARTS[version_id] = (stored, parsed)
    return parsed
