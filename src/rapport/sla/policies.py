"""Service policies: ordered, each an effective-dated series of versions (a condition and targets).

An edit never changes a version: it adds one that applies from a chosen instant (now by default), so a clock keeps
the version it started under and last year's results are never rewritten. The first active policy, by position,
whose condition the conversation meets applies (`first_match`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.conditions import model as conditions
from rapport.conditions.evaluate import Snapshot, matches
from rapport.conditions.model import Node
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import BusinessCalendar, SlaPolicy, SlaPolicyVersion
from rapport.sla import events
from rapport.sla import targets as target_spec
from rapport.sla.targets import Target

NAME_CHARS = 100
DESCRIPTION_CHARS = 500
MATCH_ALL = {"all": []}


@dataclass(frozen=True)
class Effective:
    """A policy and the version of it in force at some instant, parsed for matching."""

    policy_id: int
    name: str
    position: int
    version_id: int
    condition: Node
    targets: tuple[Target, ...]


def listed(session: Session) -> list[SlaPolicy]:
    """Every policy in the order they are tried."""
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)))


def get(session: Session, policy_id: int) -> SlaPolicy:
    """One policy; NotFound when there is none."""
    row = session.get(SlaPolicy, policy_id)
    if row is None:
        raise NotFound(f"There is no service policy {policy_id}.")
    return row


def versions(session: Session, policy_id: int) -> list[SlaPolicyVersion]:
    """A policy's versions, newest effective date first."""
    query = select(SlaPolicyVersion).where(SlaPolicyVersion.policy_id == policy_id)
    return list(session.scalars(query.order_by(SlaPolicyVersion.effective_from.desc())))


def version_at(session: Session, policy_id: int, at: datetime) -> SlaPolicyVersion | None:
    """The version of a policy in force at `at` (None before its first)."""
    query = select(SlaPolicyVersion).where(
        SlaPolicyVersion.policy_id == policy_id, SlaPolicyVersion.effective_from <= at
    )
    return session.scalar(query.order_by(SlaPolicyVersion.effective_from.desc()).limit(1))


def effective(session: Session, at: datetime | None = None) -> list[Effective]:
    """The active policies in force at `at` (now), in order, each with its version parsed."""
    at = at or now()
    out = []
    for policy in listed(session):
        if not policy.active:
            continue
        version = version_at(session, policy.id, at)
        if version is not None:
            out.append(parsed(policy, version))
    return out


def parsed(policy: SlaPolicy, version: SlaPolicyVersion) -> Effective:
    """A stored policy version ready to match (stored data was validated when written)."""
    return Effective(
        policy.id,
        policy.name,
        policy.position,
        version.id,
        conditions.parse(version.condition),
        tuple(target_spec.parse_one(t, i) for i, t in enumerate(version.targets)),
    )


def first_match(policies: list[Effective], snap: Snapshot) -> Effective | None:
    """The first policy whose condition the conversation meets, or None."""
    for policy in policies:
        if matches(policy.condition, snap):
            return policy
    return None


def _checked_text(name: str | None, description: str | None) -> tuple[str | None, str | None]:
    if name is not None:
        name = " ".join(name.split())
        if not name or len(name) > NAME_CHARS:
            raise Invalid(f"Give the policy a name of 1 to {NAME_CHARS} characters.", errors=[{"field": "name"}])
    if description is not None:
        description = description.strip()
        if len(description) > DESCRIPTION_CHARS:
            raise Invalid(f"Keep the description to {DESCRIPTION_CHARS} characters.", errors=[{"field": "description"}])
    return name, description


def _unique(session: Session, name: str, policy_id: int | None = None) -> None:
    same = session.scalar(select(SlaPolicy).where(func.lower(SlaPolicy.name) == name.lower()))
    if same is not None and same.id != policy_id:
        raise Conflict(f"There is already a service policy named '{same.name}'.", errors=[{"field": "name"}])


def checked_version(session: Session, condition: dict | None, targets: list) -> tuple[dict, list[dict]]:
    """A condition and targets validated for storing: the condition parses, every calendar named exists."""
    node = conditions.parse(condition if condition is not None else MATCH_ALL)
    parsed_targets = target_spec.parse(targets)
    wanted = {t.calendar_id for t in parsed_targets if t.calendar_id is not None}
    if wanted:
        found = set(session.scalars(select(BusinessCalendar.id).where(BusinessCalendar.id.in_(wanted))))
        for i, t in enumerate(parsed_targets):
            if t.calendar_id is not None and t.calendar_id not in found:
                raise Invalid(
                    f"Target {i + 1}: there is no calendar {t.calendar_id}.",
                    errors=[{"field": f"targets[{i}].calendar_id", "message": "no such calendar"}],
                )
    return conditions.dump(node), target_spec.dump(parsed_targets)


def _effective_from(session: Session, policy_id: int | None, at: datetime | None) -> datetime:
    moment = (at or now()).replace(microsecond=0)
    if policy_id is not None:
        taken = session.scalar(
            select(SlaPolicyVersion.id).where(
                SlaPolicyVersion.policy_id == policy_id, SlaPolicyVersion.effective_from == moment
            )
        )
        if taken is not None:
            raise Conflict(
                f"Policy {policy_id} already has a version effective from {moment.isoformat()}; choose another time.",
                errors=[{"field": "effective_from"}],
            )
    return moment


def create(
    session: Session,
    actor: Actor,
    *,
    name: str,
    targets: list,
    condition: dict | None = None,
    description: str = "",
    effective_from: datetime | None = None,
    active: bool = True,
) -> SlaPolicy:
    """A new policy, tried after the existing ones, with its first version."""
    authorize(actor, "admin")
    name, description = _checked_text(name, description)
    _unique(session, name)
    stored_condition, stored_targets = checked_version(session, condition, targets)
    stamp = now()
    position = (session.scalar(select(func.max(SlaPolicy.position))) or 0) + 1
    policy = SlaPolicy(
        name=name, description=description or "", position=position, active=active, created_at=stamp, updated_at=stamp
    )
    session.add(policy)
    session.flush()
    session.add(
        SlaPolicyVersion(
            policy_id=policy.id,
            effective_from=_effective_from(session, None, effective_from),
            condition=stored_condition,
            targets=stored_targets,
            created_by_id=actor.id if actor.kind == "agent" else None,
            created_at=stamp,
        )
    )
    session.flush()
    record(session, events.POLICY_CREATED.name, actor, object="sla_policy", object_id=policy.id, fields={"name": name})
    return policy


def revise(
    session: Session,
    actor: Actor,
    policy_id: int,
    *,
    condition: dict | None,
    targets: list,
    effective_from: datetime | None = None,
) -> SlaPolicyVersion:
    """A new version of the policy's condition and targets, in force from `effective_from` (now)."""
    authorize(actor, "admin")
    policy = get(session, policy_id)
    stored_condition, stored_targets = checked_version(session, condition, targets)
    version = SlaPolicyVersion(
        policy_id=policy.id,
        effective_from=_effective_from(session, policy.id, effective_from),
        condition=stored_condition,
        targets=stored_targets,
        created_by_id=actor.id if actor.kind == "agent" else None,
        created_at=now(),
    )
    session.add(version)
    policy.updated_at = now()
    session.flush()
    record(
        session,
        events.POLICY_UPDATED.name,
        actor,
        object="sla_policy",
        object_id=policy.id,
        fields={"version_id": version.id, "effective_from": version.effective_from.isoformat()},
    )
    return version


def update(
    session: Session,
    actor: Actor,
    policy_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> SlaPolicy:
    """Rename, describe, switch off or on a policy (its versions stay as they are)."""
    authorize(actor, "admin")
    policy = get(session, policy_id)
    name, description = _checked_text(name, description)
    changed: dict = {}
    if name is not None and name != policy.name:
        _unique(session, name, policy.id)
        policy.name, changed["name"] = name, name
    if description is not None and description != policy.description:
        policy.description, changed["description"] = description, description
    if active is not None and active != policy.active:
        policy.active, changed["active"] = active, active
    if changed:
        policy.updated_at = now()
        record(session, events.POLICY_UPDATED.name, actor, object="sla_policy", object_id=policy.id, fields=changed)
    return policy


def reorder(session: Session, actor: Actor, ordered_ids: list[int]) -> list[SlaPolicy]:
    """Set the order policies are tried in: `ordered_ids` names every policy once."""
    authorize(actor, "admin")
    rows = listed(session)
    if sorted(ordered_ids) != sorted(p.id for p in rows):
        raise Invalid("Name every service policy exactly once to reorder them.", errors=[{"field": "order"}])
    by_id = {p.id: p for p in rows}
    for position, policy_id in enumerate(ordered_ids, start=1):
        if by_id[policy_id].position != position:
            by_id[policy_id].position = position
            by_id[policy_id].updated_at = now()
    record(session, events.POLICY_UPDATED.name, actor, object="sla_policy", object_id=0, fields={"order": ordered_ids})
    return sorted(rows, key=lambda p: p.position)

