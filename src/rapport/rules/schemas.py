"""Rules in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import MISSING, AfterValidator, Field

from rapport.kit.schema import Id, In, Out

Name = Annotated[str, Field(min_length=1, max_length=100)]
Kind = Literal["event", "time", "count"]
DEFINITION_DOC = "The rule's definition (docs/rules.md): events, conditions, actions, cascade, delay or count."


class RuleIn(In):
    """A new rule: run after the existing ones, with its first version."""

    name: Name
    kind: Kind
    definition: dict[str, Any] = Field(description=DEFINITION_DOC)
    enabled: bool = True


class RulePatch(In):
    """Rename a rule or switch it on or off; its definition changes by a new version."""

    name: Name | MISSING = MISSING
    enabled: bool | MISSING = MISSING


class VersionIn(In):
    """A new version of a rule's definition, run from now on."""

    definition: dict[str, Any] = Field(description=DEFINITION_DOC)


class OrderIn(In):
    """The order rules run in: every rule's id once, first run first."""

    ids: Annotated[list[Id], Field(max_length=1000)]


def replay_days(value: int) -> int:
    """Refuse a replay longer than RAPPORT_RULES_REPLAY_MAX_DAYS, naming the setting."""
    from rapport.config import get_settings

    cap = get_settings().rules_replay_max_days
    if value > cap:
        raise ValueError(f"days must be between 1 and {cap} (RAPPORT_RULES_REPLAY_MAX_DAYS)")
    return value


# The cap is a setting: web.openapi writes its configured value into the document as `maximum`.
ReplayDays = Annotated[
    int,
    Field(ge=1, le=366, json_schema_extra={"x-rapport-maximum": "rules_replay_max_days"}),
    AfterValidator(replay_days),
]


class ReplayIn(In):
    """A rule to replay in dry run (saved or not) and how many days back."""

    kind: Kind
    definition: dict[str, Any] = Field(description=DEFINITION_DOC)
    days: ReplayDays = 7


class VersionOut(Out):
    """One version of a rule."""

    id: int
    number: int
    definition: dict[str, Any]
    created_by_id: int | None
    created_at: datetime


class RuleOut(Out):
    """A rule with the version it runs."""

    id: int
    name: str
    kind: str
    position: int
    enabled: bool
    created_at: datetime
    updated_at: datetime
    current: VersionOut | None = None


class RuleDetail(RuleOut):
    """A rule with every version, newest first."""

    versions: list[VersionOut]


class Hit(Out):
    """One thing a replayed rule would have done."""

    conversation_id: int
    event_id: int
    event: str
    at: datetime
    actions: list[str]


class ReplayOut(Out):
    """What a replayed rule would have done."""

    days: int
    events_read: int
    truncated: bool
    conversations: int
    fired: int
    hits: list[Hit]
    would_do: list[str]


class ActionInfo(Out):
    """An action rules may take."""

    name: str
    label: str
    params: dict[str, Any]


class Vocabulary(Out):
    """What rules may react to, test and do."""

    events: list[str]
    fields: list[str]
    actions: list[ActionInfo]
