"""A policy's targets as validated data: which promise, how long, in business or calendar time, what pauses it.

Stored as JSON on a policy version (`SlaPolicyVersion.targets`); every error is an `Invalid` naming the target
and the field, so the API and the admin form say exactly what to fix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rapport.kit.business_time import MAX_TARGET_SECONDS
from rapport.kit.problems import Invalid
from rapport.models.enums import Status

# The promises a policy can make, in the order pages list them.
KINDS = ("first_reply", "next_reply", "periodic_update", "resolution", "human")
LABELS = {
    "first_reply": "First reply",
    "next_reply": "Next reply",
    "periodic_update": "Periodic update",
    "resolution": "Resolution",
    "human": "Time to a person",
}
# Statuses that may pause a clock: waiting on the customer or on a third party.
PAUSABLE = (Status.pending.value, Status.on_hold.value)
# By default only resolution pauses (while pending or on hold); a first reply is never paused.
DEFAULT_PAUSES = {"resolution": PAUSABLE}
NEVER_PAUSED = frozenset({"first_reply"})
DEFAULT_WARN_SHARE = 0.25  # warn when a quarter of the target is left


@dataclass(frozen=True, slots=True)
class Target:
    """One promise: `kind` within `seconds`, counted on `calendar_id` (business time) or around the clock."""

    kind: str
    seconds: int
    business: bool = True
    calendar_id: int | None = None
    pause_on: tuple[str, ...] = ()
    warn_share: float | None = DEFAULT_WARN_SHARE

    def to_dict(self) -> dict[str, Any]:
        """The JSON stored on a policy version."""
        data = asdict(self)
        data["pause_on"] = list(self.pause_on)
        return data


def _fail(index: int, field: str, message: str) -> Invalid:
    where = f"targets[{index}].{field}"
    return Invalid(f"Target {index + 1}: {message}", errors=[{"field": where, "message": message}])


def parse_one(raw: Any, index: int = 0) -> Target:
    """One target from its JSON, validated; Invalid naming what is wrong."""
    if not isinstance(raw, dict):
        raise _fail(index, "kind", "a target is an object with kind and seconds")
    unknown = set(raw) - {"kind", "seconds", "business", "calendar_id", "pause_on", "warn_share"}
    if unknown:
        raise _fail(index, sorted(unknown)[0], f"unknown field {sorted(unknown)[0]!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail(index, "kind", f"kind must be one of {', '.join(KINDS)}")
    seconds = raw.get("seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0 or seconds > MAX_TARGET_SECONDS:
        raise _fail(index, "seconds", f"seconds must be a whole number from 1 to {MAX_TARGET_SECONDS} (a year)")
    business = raw.get("business", True)
    if not isinstance(business, bool):
        raise _fail(index, "business", "business must be true or false")
    calendar_id = raw.get("calendar_id")
    if business and (not isinstance(calendar_id, int) or isinstance(calendar_id, bool) or calendar_id < 1):
        raise _fail(index, "calendar_id", "a target in business time names its calendar (calendar_id)")
    if not business:
        calendar_id = None
    pause_on = raw.get("pause_on", DEFAULT_PAUSES.get(kind, ()))
    if not isinstance(pause_on, list | tuple) or any(p not in PAUSABLE for p in pause_on):
        raise _fail(index, "pause_on", f"pause_on lists statuses among {', '.join(PAUSABLE)}")
    if kind in NEVER_PAUSED and pause_on:
        raise _fail(index, "pause_on", "a first reply target is never paused")
    warn = raw.get("warn_share", DEFAULT_WARN_SHARE)
    if warn is not None and (isinstance(warn, bool) or not isinstance(warn, int | float) or not 0 < warn < 1):
        raise _fail(index, "warn_share", "warn_share is the share of the target left when the warning comes (0 to 1)")
    return Target(kind, seconds, business, calendar_id, tuple(dict.fromkeys(pause_on)), warn)


def parse(raw: Any) -> tuple[Target, ...]:
    """A policy's targets from JSON: at least one, each kind at most once."""
    if not isinstance(raw, list) or not raw:
        raise Invalid("A policy needs at least one target.", errors=[{"field": "targets", "message": "empty"}])
    if len(raw) > len(KINDS):
        raise Invalid(f"A policy has at most {len(KINDS)} targets, one of each kind.", errors=[{"field": "targets"}])
    out = [parse_one(item, i) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for i, target in enumerate(out):
        if target.kind in seen:
            raise _fail(i, "kind", f"{target.kind} is given twice")
        seen.add(target.kind)
    return tuple(out)


def dump(targets: tuple[Target, ...]) -> list[dict[str, Any]]:
    """Targets as the JSON a policy version stores."""
    return [t.to_dict() for t in targets]


def calendar_ids(stored: list[dict]) -> set[int]:
    """The calendars stored targets count on."""
    return {t["calendar_id"] for t in stored if t.get("business") and t.get("calendar_id")}
