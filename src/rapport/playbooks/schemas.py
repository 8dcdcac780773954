"""Playbook templates and runs in and out of the API (and the shape a template version stores its steps in).

What a schema cannot say (the offset's ceiling, which is a setting; a team or calendar that exists) the service
checks and names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from rapport.kit.schema import Id, In, Out

Title = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Description = Annotated[str, Field(max_length=500)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
Label = Annotated[str, Field(min_length=1, max_length=100)]
FieldKey = Annotated[str, Field(min_length=1, max_length=64, pattern="^[a-z0-9_]+$")]

OWNERS = ("assignee", "team", "role")
EVIDENCE = ("none", "note", "attachment", "field")
ACTIONS = ("wait_for_customer", "request_approval")
FROM = ("start", "previous")
ROLES = ("agent", "supervisor", "admin")


class StepIn(In):
    """One step: who owns it, when it is due (business seconds after the start or the step before), what it needs."""

    title: Title
    owner: Literal["assignee", "team", "role"] = "assignee"
    team_id: Id | None = None
    role: Literal["agent", "supervisor", "admin"] | None = None
    offset_seconds: Annotated[int, Field(ge=0)] | None = None
    offset_from: Literal["start", "previous"] = "start"
    required: bool = True
    evidence: Literal["none", "note", "attachment", "field"] = "none"
    field: FieldKey | None = None
    action: Literal["wait_for_customer", "request_approval"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> StepIn:
        if self.owner == "team" and self.team_id is None:
            raise ValueError("a step owned by a team names the team (team_id)")
        if self.owner == "role" and self.role is None:
            raise ValueError("a step owned by a role names the role (role)")
        if self.evidence == "field" and not self.field:
            raise ValueError("a step that needs a field value names the field (field)")
        return self


class FieldMatch(In):
    """A custom field set to a value (as its definition reads it: a number, yes/no, an option, a date, text)."""

    key: Annotated[str, Field(min_length=1, max_length=64)]
    value: Annotated[str, Field(min_length=1, max_length=200)]


class MatchIn(In):
    """What attaches the playbook by itself: a conversation getting one of these categories or tags, or one of these
    custom fields set to its value."""

    categories: Annotated[list[Label], Field(max_length=20)] = []
    tags: Annotated[list[Label], Field(max_length=20)] = []
    fields: Annotated[list[FieldMatch], Field(max_length=20)] = []


class VersionIn(In):
    """What a new version of a template says (every version says it all: versions are never edited)."""

    description: Description = ""
    blocks_solve: bool = False
    calendar_id: Id | None = None
    match: MatchIn = MatchIn()
    steps: Annotated[list[StepIn], Field(min_length=1)]


class TemplateIn(VersionIn):
    """A new template with its first version."""

    name: Name
    active: bool = True


class TemplatePatch(In):
    """Rename a template or switch it on or off (what it says changes through a new version)."""

    name: Name | None = None
    active: bool | None = None


class VersionOut(Out):
    """One version of a template."""

    id: int
    number: int
    description: str
    blocks_solve: bool
    calendar_id: int | None
    match: dict
    steps: list[dict]
    created_by_id: int | None
    created_at: datetime


class TemplateOut(Out):
    """A template with its newest version."""

    id: int
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
    version: VersionOut


class TemplateDetail(TemplateOut):
    """A template with every version, newest first."""

    versions: list[VersionOut]


class StartIn(In):
    """Start a template's newest version on a conversation."""

    conversation_id: Id
    template_id: Id
    reason: Annotated[str, Field(max_length=200)] = ""


class CompleteIn(In):
    """Complete a step with its evidence: a note's or an attachment's id in this conversation (a field value is
    read off the conversation)."""

    message_id: Id | None = None
    attachment_id: Id | None = None


class SkipIn(In):
    """Skip an optional step, saying why."""

    reason: Reason


class ReasonIn(In):
    """Cancel a run, or override its solve guard (supervisors), saying why."""

    reason: Reason


class StepOut(Out):
    """One step of a run, as the template version says it and as it stands (`proof`: the evidence given)."""

    id: int
    position: int
    title: str
    owner: str
    team_id: int | None
    role: str | None
    required: bool
    evidence: str
    field: str | None
    action: str | None
    state: str
    due_at: datetime | None
    overdue_at: datetime | None
    done_at: datetime | None
    done_by_id: int | None
    proof: dict | None
    skip_reason: str | None


class RunOut(Out):
    """A playbook run on a conversation with its steps."""

    id: int
    conversation_id: int
    template_id: int
    name: str
    version: int
    state: str
    blocks_solve: bool
    reason: str
    started_at: datetime
    started_by_id: int | None
    ended_at: datetime | None
    cancel_reason: str | None
    override_by_id: int | None
    override_at: datetime | None
    override_reason: str | None
    steps: list[StepOut]


class OverdueOut(Out):
    """An open step past its due time (the supervisor board)."""

    step_id: int
    run_id: int
    conversation_id: int
    subject: str
    name: str
    position: int
    title: str
    due_at: datetime | None
    overdue_at: datetime


class OverduePage(Out):
    """Open overdue steps, longest overdue first, and how many there are (`more`: at least that many)."""

    count: int
    more: bool
    items: list[OverdueOut]
