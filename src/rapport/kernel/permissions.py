"""Who may do what: roles and token scopes, checked by services before every write."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapport.kit.problems import Forbidden
from rapport.models.enums import Role

RANK = {Role.agent: 1, Role.supervisor: 2, Role.admin: 3}

# permission -> the least role that holds it
PERMISSIONS: dict[str, Role] = {
    "conversations.read": Role.agent,
    "conversations.write": Role.agent,
    "conversations.assign_others": Role.supervisor,
    "conversations.merge": Role.agent,
    "customers.read": Role.agent,
    "customers.write": Role.agent,
    "customers.merge": Role.supervisor,
    "messages.inbound": Role.agent,
    "directory.read": Role.agent,
    "supervisor.console": Role.supervisor,
    "macros.manage": Role.supervisor,  # team and shared macros (personal ones are their owner's)
    "playbooks.override": Role.supervisor,
    "tokens.own": Role.agent,
    "profile.write": Role.agent,
    "admin": Role.admin,
}

# A token scope grants the permissions listed; a token never exceeds its agent's role.
SCOPES: dict[str, set[str]] = {
    "read": {"conversations.read", "customers.read", "directory.read", "supervisor.console"},
    "write": {
        "conversations.write",
        "conversations.merge",
        "customers.write",
        "conversations.assign_others",
        "customers.merge",
        "macros.manage",
        "playbooks.override",
        "profile.write",
    },
    "inbound": {"messages.inbound"},
    "admin": {"admin", "tokens.own", "profile.write"},
}
ALL_SCOPES = tuple(SCOPES)


@dataclass(frozen=True)
class Actor:
    """Whoever is acting: an agent (through a session or a token) or the system itself."""

    kind: str
    id: int | None = None
    role: Role | None = None
    scopes: frozenset[str] | None = None  # None: a browser session, limited by role only
    name: str = ""
    team_ids: frozenset[int] = field(default_factory=frozenset)

    def can(self, permission: str) -> bool:
        """True when both the role and (for tokens) a scope allow `permission`."""
        if self.kind == "system":
            return True
        if self.role is None or RANK[self.role] < RANK[PERMISSIONS[permission]]:
            return False
        if self.scopes is None:
            return True
        return any(permission in SCOPES.get(scope, ()) for scope in self.scopes)


SYSTEM = Actor(kind="system", name="Rapport")


def authorize(actor: Actor, permission: str) -> None:
    """Raise Forbidden unless `actor` holds `permission`."""
    if not actor.can(permission):
        need = PERMISSIONS[permission].value
        how = f"the role '{need}'" if actor.scopes is None else f"the role '{need}' and a token scope for it"
        raise Forbidden(f"This action ({permission}) needs {how}.", permission=permission)
