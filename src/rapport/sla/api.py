"""REST routes for service policies: everyone reads them, admins write them, reorder them and replay them (what-if)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import TypeAdapter, ValidationError

from rapport.conditions import model as conditions
from rapport.conditions import params
from rapport.kernel.permissions import authorize
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.kit.schema import Id
from rapport.sla import policies, whatif
from rapport.sla.schemas import (
    OrderIn,
    PolicyDetail,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    Targets,
    VersionIn,
    VersionOut,
    WhatIfOut,
    WhatIfQuery,
    targets_json,
)
from rapport.web.deps import DB, Me, requires
from rapport.web.errors import validation_problem

router = APIRouter(prefix="/sla", tags=["configuration"])


def _out(session, policy) -> dict:
    current = policies.version_at(session, policy.id, now())
    return {**PolicyOut.model_validate(policy).model_dump(), "current": current}


def _detail(session, policy) -> dict:
    return {**_out(session, policy), "versions": policies.versions(session, policy.id)}


@router.get("/policies", dependencies=[requires("read")], response_model=list[PolicyOut])
def list_policies(session: DB, actor: Me):
    """Every service policy in the order they are tried, each with the version in force now."""
    authorize(actor, "directory.read")
    return [_out(session, p) for p in policies.listed(session)]


@router.post("/policies", dependencies=[requires("admin")], response_model=PolicyDetail, status_code=201)
def create_policy(body: PolicyIn, session: DB, actor: Me):
    """Add a policy, tried after the existing ones, with its first version (admins)."""
    policy = policies.create(
        session, actor, name=body.name, description=body.description, condition=body.condition,
        targets=targets_json(body.targets), effective_from=body.effective_from, active=body.active,
    )  # fmt: skip
    return _detail(session, policy)


@router.post("/policies/order", dependencies=[requires("admin")], response_model=list[PolicyOut])
def reorder_policies(body: OrderIn, session: DB, actor: Me):
    """Set the order policies are tried in: every policy's id once, first tried first (admins)."""
    return [_out(session, p) for p in policies.reorder(session, actor, body.ids)]


@router.get("/policies/{policy_id:int}", dependencies=[requires("read")], response_model=PolicyDetail)
def get_policy(policy_id: Id, session: DB, actor: Me):
    """One policy with every version, newest effective date first."""
    authorize(actor, "directory.read")
    return _detail(session, policies.get(session, policy_id))


@router.patch("/policies/{policy_id:int}", dependencies=[requires("admin")], response_model=PolicyOut)
def patch_policy(policy_id: Id, body: PolicyPatch, session: DB, actor: Me):
    """Rename, describe, switch off (`active: false`) or on a policy (admins); its versions stay as they are."""
    return _out(session, policies.update(session, actor, policy_id, **body.model_dump(exclude_unset=True)))


@router.post(
    "/policies/{policy_id:int}/versions", dependencies=[requires("admin")], response_model=VersionOut, status_code=201
)
def add_version(policy_id: Id, body: VersionIn, session: DB, actor: Me):
    """A new version of the policy's condition and targets, in force from `effective_from` (now) (admins)."""
    return policies.revise(
        session, actor, policy_id, condition=body.condition, targets=targets_json(body.targets),
        effective_from=body.effective_from,
    )  # fmt: skip


@router.get("/what-if", dependencies=[requires("admin")], response_model=WhatIfOut)
def what_if(q: Annotated[WhatIfQuery, Query()], session: DB, actor: Me):
    """Replay a condition and targets (each JSON text) over the last `days` days: what they would have achieved.

    A GET on a read session: the replay writes nothing, and can take seconds on a long history, during which a
    write session would hold (on SQLite) the writer's turn from every inbound message.
    """
    condition = conditions.dump(params.from_json(q.condition, where="condition")) if q.condition else None
    return whatif.replay(session, actor, condition=condition, targets=_targets(q.targets), days=q.days)


_TARGETS = TypeAdapter(Targets)


def _targets(raw: str) -> list[dict[str, Any]]:
    """The `targets` parameter (JSON text) as the service reads them; a 422 naming the field otherwise."""
    try:
        data = json.loads(raw)
    except ValueError:
        example = '[{"kind": "first_reply", "seconds": 3600}]'
        message = f"targets is not JSON: send a list of targets such as {example}."
        raise Invalid(message, errors=[{"field": "targets", "message": "not JSON"}]) from None
    try:
        return targets_json(_TARGETS.validate_python(data))
    except ValidationError as exc:
        raise validation_problem([{**e, "loc": ("targets", *e["loc"])} for e in exc.errors()]) from None
