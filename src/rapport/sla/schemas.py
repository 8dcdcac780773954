"""Service policies, their versions and the what-if replay in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import MISSING, AfterValidator, BaseModel, Field

from rapport.conditions.params import WHERE_CHARS
from rapport.kit.business_time import MAX_TARGET_SECONDS
from rapport.kit.schema import Id, In, Out, Str
from rapport.sla.targets import KINDS

Kind = Literal[KINDS]  # type: ignore[valid-type]  (the tuple of promise kinds)
Name = Annotated[str, Field(min_length=1, max_length=100)]
Description = Annotated[str, Field(max_length=500)]
CONDITION_DOC = (
    "A condition tree (docs/conditions.md): which conversations the policy applies to. Omitted or null: all."
)


class TargetIn(In):
    """One promise: `kind` within `seconds`, in business time on `calendar_id` or in calendar time."""

    kind: Kind
    seconds: Annotated[int, Field(ge=1, le=MAX_TARGET_SECONDS, description="1 second to a year")]
    business: bool | MISSING = MISSING
    calendar_id: Id | None = None
    pause_on: list[Literal["pending", "on_hold"]] | MISSING = Field(
        default=MISSING, description="Statuses that pause the clock (default: resolution pauses on both)."
    )
    warn_share: Annotated[float, Field(gt=0, lt=1)] | None | MISSING = Field(
        default=MISSING, description="The share of the target left when the warning comes (default 0.25)."
    )


Targets = Annotated[list[TargetIn], Field(min_length=1, max_length=len(KINDS))]


def targets_json(targets: list[TargetIn]) -> list[dict[str, Any]]:
    """The targets as the service reads them: fields not sent take the service's defaults."""
    return [t.model_dump(exclude_unset=True) for t in targets]


class PolicyIn(In):
    """A new policy: tried after the existing ones, with its first version."""

    name: Name
    description: Description = ""
    condition: dict[str, Any] | None = Field(default=None, description=CONDITION_DOC)
    targets: Targets
    effective_from: datetime | None = Field(default=None, description="When the first version applies (now).")
    active: bool = True


class PolicyPatch(In):
    """Changes to a policy; omitted fields stay as they are. Its condition and targets change by a new version."""

    name: Name | MISSING = MISSING
    description: Description | MISSING = MISSING
    active: bool | MISSING = MISSING


class VersionIn(In):
    """A new version of a policy's condition and targets, in force from `effective_from` (now)."""

    condition: dict[str, Any] | None = Field(default=None, description=CONDITION_DOC)
    targets: Targets
    effective_from: datetime | None = None


class OrderIn(In):
    """The order policies are tried in: every policy's id once, first tried first."""

    ids: Annotated[list[Id], Field(max_length=1000)]


def whatif_days(value: int) -> int:
    """Refuse a replay longer than RAPPORT_SLA_WHATIF_MAX_DAYS, naming the setting."""
    from rapport.config import get_settings

    cap = get_settings().sla_whatif_max_days
    if value > cap:
        raise ValueError(f"days must be between 1 and {cap} (RAPPORT_SLA_WHATIF_MAX_DAYS)")
    return value


# The cap is a setting: web.openapi writes its configured value into the document as `maximum`.
WhatIfDays = Annotated[
    int,
    Field(ge=1, le=3660, json_schema_extra={"x-rapport-maximum": "sla_whatif_max_days"}),
    AfterValidator(whatif_days),
]


TARGETS_CHARS = 4_000  # the targets as JSON in a query string: every kind once with every field fits in a quarter


class WhatIfQuery(BaseModel):
    """GET /sla/what-if: a condition and targets (each as JSON text) to replay over the last `days` days."""

    condition: Str | None = Field(
        None,
        max_length=WHERE_CHARS,
        description="A condition tree (docs/conditions.md) as JSON text, as `where` on GET /conversations: which "
        "conversations the policy applies to. Omitted: all.",
    )
    targets: Str = Field(
        max_length=TARGETS_CHARS,
        description='The targets as a JSON list, such as [{"kind": "first_reply", "seconds": 3600}].',
    )
    days: WhatIfDays = 30


class VersionOut(Out):
    """What a policy says from `effective_from` on."""

    id: int
    effective_from: datetime
    condition: dict[str, Any]
    targets: list[dict[str, Any]]
    created_by_id: int | None
    created_at: datetime


class PolicyOut(Out):
    """A policy and the version in force now (null when its first version is still ahead)."""

    id: int
    name: str
    description: str
    position: int
    active: bool
    created_at: datetime
    updated_at: datetime
    current: VersionOut | None = None


class PolicyDetail(PolicyOut):
    """A policy with every version, newest effective date first."""

    versions: list[VersionOut]


class Breach(Out):
    """A conversation the replayed policy would have breached."""

    conversation_id: int
    subject: str
    target: str


class TargetResult(Out):
    """How one target would have done: clocks that ended, met and breached, and what they measured (seconds)."""

    kind: str
    label: str
    count: int
    met: int
    breached: int
    open: int
    percent_met: float | None
    median_seconds: int | None
    p90_seconds: int | None


class WhatIfOut(Out):
    """The replay's result: per target, and the conversations it would have breached (capped)."""

    days: int
    since: datetime
    until: datetime
    conversations: int
    targets: list[TargetResult]
    breaches: list[Breach]
    breaches_shown: int
    breaches_total: int
    note: str
