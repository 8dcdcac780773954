"""Macros in and out of the API. What JSON Schema cannot say (a placeholder that exists, a team or agent that
exists, a custom field's type, the configured limits) the service checks and names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import MISSING, Field

from rapport.kit.schema import Id, In, Out
from rapport.models.enums import Priority, Status

Name = Annotated[str, Field(min_length=1, max_length=100)]
# The service holds the reply and note to RAPPORT_MACRO_MAX_CHARS; this is the ceiling no setting passes.
Text = Annotated[str, Field(max_length=200_000)]
Tag = Annotated[str, Field(min_length=1, max_length=64)]
Visibility = Literal["personal", "team", "shared"]


class MacroChanges(In):
    """The field changes a macro makes; what is left out stays as it is."""

    status: Status | None = None
    priority: Priority | None = None
    team_id: Id | None = None
    assignee_id: Id | None = None
    assign_to_me: bool = False  # assign the conversation to whoever applies the macro
    no_survey: bool = False  # mark the conversation "don't survey" (surveys.holds): no survey after it is solved
    add_tags: Annotated[list[Tag], Field(max_length=200)] = []
    remove_tags: Annotated[list[Tag], Field(max_length=200)] = []
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    fields: Annotated[dict[Annotated[str, Field(max_length=64)], Any], Field(max_length=100)] = {}


class MacroIn(In):
    """A new macro: a reply and/or a note (with placeholders) and/or field changes."""

    name: Name
    visibility: Visibility = "personal"
    team_id: Id | None = None  # the team whose members may use it (team visibility)
    body: Text = ""
    note: Text = ""
    changes: MacroChanges = MacroChanges()


class MacroPatch(In):
    """Changes to a macro; omitted fields stay as they are."""

    name: Name | MISSING = MISSING
    visibility: Visibility | MISSING = MISSING
    team_id: Id | None = None
    body: Text | MISSING = MISSING
    note: Text | MISSING = MISSING
    changes: MacroChanges | MISSING = MISSING


class MacroOut(Out):
    """A macro as stored."""

    id: int
    name: str
    visibility: str
    owner_id: int | None
    team_id: int | None
    body: str
    note: str
    changes: dict
    created_at: datetime
    updated_at: datetime


class MacroMeasures(Out):
    """How a macro did: uses, the conversations they were on, and how many were reopened within the window."""

    macro_id: int
    uses: int
    conversations: int
    reopened: int
    reopen_rate: float | None  # reopened / uses (None before any use)
    reopen_days: int
    last_used_at: datetime | None


class MacroListed(MacroOut):
    """A macro with its measures (the list)."""

    measures: MacroMeasures


class Written(Out):
    """A message a macro writes, as text and as the escaped HTML the reply path stores."""

    text: str
    html: str


class FieldChange(Out):
    """One change a macro makes to this conversation: the field, its value now and after."""

    field: str
    label: str
    before: Any = None
    after: Any = None


class PreviewOut(Out):
    """Exactly what applying the macro to this conversation would do; nothing is written."""

    macro_id: int
    conversation_id: int
    reply: Written | None
    channel: str | None  # where the reply goes
    note: Written | None
    changes: list[FieldChange]


class ApplyIn(In):
    """Apply a macro to a conversation."""

    conversation_id: Id


class ApplyOut(Out):
    """What applying the macro did."""

    usage_id: int
    macro_id: int
    conversation_id: int
    reply_message_id: int | None
    note_message_id: int | None
    changes: list[FieldChange]


class PlaceholderOut(Out):
    """A placeholder a macro may use."""

    name: str
    description: str
