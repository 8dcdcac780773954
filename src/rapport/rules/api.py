"""REST routes for rules: everyone reads them; admins write, switch on and off, reorder and replay them."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.conditions.fields import names as field_names
from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.rules import replay as replays
from rapport.rules import service, vocabulary
from rapport.rules.schemas import (
    OrderIn,
    ReplayIn,
    ReplayOut,
    RuleDetail,
    RuleIn,
    RuleOut,
    RulePatch,
    VersionIn,
    VersionOut,
    Vocabulary,
)
from rapport.web.deps import DB, Me, requires

router = APIRouter(prefix="/rules", tags=["configuration"])


def _out(session, rule) -> dict:
    current = service.current(session, rule)
    out = RuleOut.model_validate(rule).model_dump()
    return {**out, "current": VersionOut.model_validate(current).model_dump() if current else None}


def _detail(session, actor, rule) -> dict:
    versions = [VersionOut.model_validate(v).model_dump() for v in service.versions(session, actor, rule.id)]
    return {**_out(session, rule), "versions": versions}


@router.get("", dependencies=[requires("read")], response_model=list[RuleOut])
def list_rules(session: DB, actor: Me):
    """Every rule in the order they run, each with the version it runs."""
    return [_out(session, r) for r in service.listed(session, actor)]


@router.post("", dependencies=[requires("admin")], response_model=RuleDetail, status_code=201)
def create_rule(body: RuleIn, session: DB, actor: Me):
    """Add a rule, run after the existing ones, with its first version (admins)."""
    rule = service.create(
        session, actor, name=body.name, kind=body.kind, definition_=body.definition, enabled=body.enabled
    )
    return _detail(session, actor, rule)


@router.get("/vocabulary", dependencies=[requires("read")], response_model=Vocabulary)
def rule_vocabulary(actor: Me):
    """The events rules may react to, the fields their conditions may test and the actions they may take."""
    authorize(actor, "directory.read")
    actions = [
        {"name": a.name, "label": a.label, "params": a.params.model_json_schema()}
        for a in (vocabulary.action(n) for n in vocabulary.action_names())
    ]
    return {"events": vocabulary.event_names(), "fields": field_names("rule"), "actions": actions}


@router.post("/order", dependencies=[requires("admin")], response_model=list[RuleOut])
def reorder_rules(body: OrderIn, session: DB, actor: Me):
    """Set the order rules run in: every rule's id once, first run first (admins)."""
    return [_out(session, r) for r in service.reorder(session, actor, body.ids)]


@router.post("/replay", dependencies=[requires("admin")], response_model=ReplayOut)
def replay_rule(body: ReplayIn, session: DB, actor: Me):
    """Run a rule (saved or not) in dry run over the last `days` days: what it would have done. Writes nothing."""
    return replays.replay(session, actor, kind=body.kind, definition_=body.definition, days=body.days)


@router.get("/{rule_id:int}", dependencies=[requires("read")], response_model=RuleDetail)
def get_rule(rule_id: Id, session: DB, actor: Me):
    """One rule with every version, newest first."""
    return _detail(session, actor, service.get(session, actor, rule_id))


@router.patch("/{rule_id:int}", dependencies=[requires("admin")], response_model=RuleOut)
def patch_rule(rule_id: Id, body: RulePatch, session: DB, actor: Me):
    """Rename a rule or switch it on or off (`enabled`) (admins)."""
    return _out(session, service.update(session, actor, rule_id, **body.model_dump(exclude_unset=True)))


@router.get("/{rule_id:int}/versions", dependencies=[requires("read")], response_model=list[VersionOut])
def list_versions(rule_id: Id, session: DB, actor: Me):
    """A rule's versions, newest first."""
    return service.versions(session, actor, rule_id)


@router.post("/{rule_id:int}/versions", dependencies=[requires("admin")], response_model=VersionOut, status_code=201)
def add_version(rule_id: Id, body: VersionIn, session: DB, actor: Me):
    """A new version of the rule's definition, run from now on (admins)."""
    return service.revise(session, actor, rule_id, definition_=body.definition)
