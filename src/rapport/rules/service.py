"""Managing rules (admins): create, revise (a new version), rename, switch on and off, reorder; everyone reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid
from rapport.models import Rule, RuleVersion
from rapport.rules import definition, repository

NAME_CHARS = 100
UNSET: Any = object()


def listed(session: Session, actor: Actor) -> list[Rule]:
    """Every rule in the order they run."""
    authorize(actor, "directory.read")
    return repository.listed(session)


def get(session: Session, actor: Actor, rule_id: int) -> Rule:
    """One rule."""
    authorize(actor, "directory.read")
    return repository.get(session, rule_id)


def versions(session: Session, actor: Actor, rule_id: int) -> list[RuleVersion]:
    """A rule's versions, newest first."""
    authorize(actor, "directory.read")
    repository.get(session, rule_id)
    return repository.versions(session, rule_id)


def current(session: Session, rule: Rule) -> RuleVersion | None:
    """The version a rule runs."""
    return repository.version(session, rule.version_id) if rule.version_id else None


def _name(session: Session, name: str, rule_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_CHARS:
        raise Invalid(f"Give the rule a name of 1 to {NAME_CHARS} characters.", errors=[{"field": "name"}])
    same = repository.by_name(session, name)
    if same is not None and same.id != rule_id:
        raise Conflict(f"There is already a rule named '{same.name}'.", errors=[{"field": "name"}])
    return name


def create(session: Session, actor: Actor, *, name: str, kind: str, definition_: Any, enabled: bool = True) -> Rule:
    """A new rule, run after the existing ones, with its first version; checked whole before anything is written."""
    authorize(actor, "admin")
    name = _name(session, name)
    stored = definition.check(session, kind, definition_)
    stamp = now()
    rule = Rule(name=name, kind=kind, position=repository.next_position(session), enabled=enabled,
                created_at=stamp, updated_at=stamp)  # fmt: skip
    session.add(rule)
    session.flush()
    _add_version(session, actor, rule, stored, 1)
    record(session, "rule.created", actor, object="rule", object_id=rule.id, fields={"name": name, "kind": kind})
    return rule


def revise(session: Session, actor: Actor, rule_id: int, *, definition_: Any) -> RuleVersion:
    """A new version of the rule's definition, run from now on (its kind stays)."""
    authorize(actor, "admin")
    rule = repository.get(session, rule_id, lock=True)
    stored = definition.check(session, rule.kind, definition_)
    latest = repository.versions(session, rule.id)
    version = _add_version(session, actor, rule, stored, (latest[0].number if latest else 0) + 1)
    rule.updated_at = now()
    record(session, "rule.updated", actor, object="rule", object_id=rule.id, fields={"version": version.number})
    return version


def _add_version(session: Session, actor: Actor, rule: Rule, stored: dict, number: int) -> RuleVersion:
    by = actor.id if actor.kind == "agent" else None
    version = RuleVersion(rule_id=rule.id, number=number, definition=stored, created_by_id=by, created_at=now())
    session.add(version)
    session.flush()
    rule.version_id = version.id
    return version


def update(session: Session, actor: Actor, rule_id: int, *, name: str = UNSET, enabled: bool = UNSET) -> Rule:
    """Rename a rule or switch it on or off."""
    authorize(actor, "admin")
    rule = repository.get(session, rule_id, lock=True)
    changed: dict[str, Any] = {}
    if name is not UNSET:
        name = _name(session, name, rule.id)
        if name != rule.name:
            rule.name = changed["name"] = name
    if enabled is not UNSET and bool(enabled) != rule.enabled:
        rule.enabled = changed["enabled"] = bool(enabled)
    if changed:
        rule.updated_at = now()
        record(session, "rule.updated", actor, object="rule", object_id=rule.id, fields=changed)
    return rule


def reorder(session: Session, actor: Actor, ordered_ids: list[int]) -> list[Rule]:
    """Set the order rules run in: `ordered_ids` names every rule once."""
    authorize(actor, "admin")
    rows = repository.listed(session)
    if sorted(ordered_ids) != sorted(r.id for r in rows):
        raise Invalid("Name every rule exactly once to reorder them.", errors=[{"field": "ids"}])
    by_id = {r.id: r for r in rows}
    for position, rule_id in enumerate(ordered_ids, start=1):
        if by_id[rule_id].position != position:
            by_id[rule_id].position, by_id[rule_id].updated_at = position, now()
    record(session, "rule.updated", actor, object="rule", object_id=0, fields={"order": ordered_ids})
    return sorted(rows, key=lambda r: r.position)


def move(session: Session, actor: Actor, rule_id: int, *, by: int) -> list[Rule]:
    """Move one rule up (`by` < 0) or down in the order."""
    ids = [r.id for r in repository.listed(session)]
    if rule_id not in ids:
        repository.get(session, rule_id)
    i = ids.index(rule_id)
    j = max(0, min(len(ids) - 1, i + by))
    ids.insert(j, ids.pop(i))
    return reorder(session, actor, ids)
