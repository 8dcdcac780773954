"""The events of agents, teams and API tokens: the audit trail of who changed the organisation, and sign-ins."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Empty, declare
from rapport.events.wording import admin

CREATED = declare("agent.created", AdminChange, admin("created"))
UPDATED = declare("agent.updated", AdminChange, admin("updated"))
INVITED = declare("agent.invited", AdminChange, admin("invited"))
SIGNED_IN = declare("agent.signed_in", Empty, lambda who, p, c: f"{who} signed in")
SIGNED_OUT = declare("agent.signed_out", Empty, lambda who, p, c: f"{who} signed out")
TEAM_CREATED = declare("team.created", AdminChange, admin("created"))
TEAM_UPDATED = declare("team.updated", AdminChange, admin("updated"))
TOKEN_CREATED = declare("token.created", AdminChange, admin("created"))
TOKEN_REVOKED = declare("token.revoked", AdminChange, admin("revoked"))
