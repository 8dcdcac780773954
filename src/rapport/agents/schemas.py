"""Agent, team, token and session shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import MISSING, Field

from rapport.kit.schema import Id, In, Out
from rapport.models.enums import Availability, Role


class AgentIn(In):
    """A new agent."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
    role: Role = Role.agent
    password: Annotated[str, Field(min_length=10, max_length=200)] | None = None
    team_ids: list[Id] = []
    skills: list[str] = []
    timezone: str = "UTC"


class AgentPatch(In):
    """Agent changes; agents may change their own availability, name and timezone."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | MISSING = MISSING
    role: Role | MISSING = MISSING
    availability: Availability | MISSING = MISSING
    timezone: str | MISSING = MISSING
    active: bool | MISSING = MISSING
    skills: list[str] | MISSING = MISSING
    team_ids: list[Id] | MISSING = MISSING
    # The email signature in the composer's markup ('' removes it); at most RAPPORT_MAX_SIGNATURE_CHARS.
    signature: Annotated[str, Field(max_length=20_000)] | None | MISSING = MISSING
    password: Annotated[str, Field(min_length=10, max_length=200)] | MISSING = MISSING
    # Changing your own password: the one you have now (a password changes only in a signed-in session).
    current_password: Annotated[str, Field(max_length=200)] | MISSING = MISSING


class AgentOut(Out):
    """An agent (never the password hash)."""

    id: int
    name: str
    email: str
    role: Role
    availability: Availability
    timezone: str
    active: bool
    skills: list[str]
    team_ids: list[int] = []
    signature: str | None = None
    created_at: datetime


class TeamIn(In):
    """A new team."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=500)] = ""


class TeamPatch(In):
    """Team changes."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | MISSING = MISSING
    description: Annotated[str, Field(max_length=500)] | MISSING = MISSING


class TeamOut(Out):
    """A team."""

    id: int
    name: str
    description: str
    created_at: datetime


class TokenIn(In):
    """A new API token; admins may create one for another agent."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: list[str]
    agent_id: Id | None = None


class TokenOut(Out):
    """A token's metadata (the secret is shown only once, on creation)."""

    id: int
    agent_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    """A new token with its secret: store it now, it cannot be shown again."""

    token: str


class SignInIn(In):
    """Email and password."""

    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=200)]


class SessionOut(Out):
    """The signed-in agent and the CSRF token to send as X-CSRF-Token on writes."""

    agent: AgentOut
    csrf_token: str
