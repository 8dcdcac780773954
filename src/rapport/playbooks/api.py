"""REST routes for playbooks: admins keep templates and their versions; agents start runs and work their steps;
supervisors override a run's solve guard and read the overdue steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id, Limit
from rapport.playbooks import present, service, templates
from rapport.playbooks.schemas import (
    CompleteIn,
    OverduePage,
    ReasonIn,
    RunOut,
    SkipIn,
    StartIn,
    TemplateDetail,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
    VersionIn,
    VersionOut,
)
from rapport.web.deps import DB, Me, requires

router = APIRouter(prefix="/playbooks", tags=["playbooks"])
# A step's 0-based position: a template has at most 200 steps (RAPPORT_PLAYBOOK_MAX_STEPS is capped there).
Position = Annotated[int, Path(ge=0, le=199)]


def _out(session, template, *, every: bool = False) -> dict:
    versions = templates.versions(session, template.id)
    body = {
        "id": template.id, "name": template.name, "active": template.active, "created_at": template.created_at,
        "updated_at": template.updated_at, "version": VersionOut.model_validate(versions[0]),
    }  # fmt: skip
    if every:
        body["versions"] = [VersionOut.model_validate(v) for v in versions]
    return body


def _run(session, run) -> dict:
    return present.runs(session, [run])[0]


@router.get("", dependencies=[requires("read")], response_model=list[TemplateOut])
def list_templates(session: DB, actor: Me):
    """Every playbook template by name, with its newest version."""
    authorize(actor, "conversations.read")
    return [_out(session, t) for t in templates.listed(session)]


@router.post("", dependencies=[requires("admin")], response_model=TemplateDetail, status_code=201)
def create_template(body: TemplateIn, session: DB, actor: Me):
    """Add a template with its first version (admins)."""
    row = templates.create(session, actor, body.model_dump(mode="json"))
    return _out(session, row, every=True)


@router.get("/overdue", dependencies=[requires("read")], response_model=OverduePage)
def overdue_steps(session: DB, actor: Me, limit: Limit = 50):
    """Open steps past their due time, longest overdue first (supervisors)."""
    return service.overdue(session, actor, limit=limit)


@router.get("/{template_id:int}", dependencies=[requires("read")], response_model=TemplateDetail)
def get_template(template_id: Id, session: DB, actor: Me):
    """One template with every version, newest first."""
    authorize(actor, "conversations.read")
    return _out(session, templates.get(session, template_id), every=True)


@router.patch("/{template_id:int}", dependencies=[requires("admin")], response_model=TemplateDetail)
def patch_template(template_id: Id, body: TemplatePatch, session: DB, actor: Me):
    """Rename a template or switch it on or off (admins)."""
    return _out(session, templates.update(session, actor, template_id, body), every=True)


@router.post(
    "/{template_id:int}/versions", dependencies=[requires("admin")], response_model=VersionOut, status_code=201
)
def add_version(template_id: Id, body: VersionIn, session: DB, actor: Me):
    """Add a version (admins); playbooks already running keep theirs."""
    return templates.revise(session, actor, template_id, body.model_dump(mode="json"))


@router.get("/runs", dependencies=[requires("read")], response_model=list[RunOut])
def list_runs(session: DB, actor: Me, conversation_id: Annotated[int, Query(ge=1, le=2**63 - 1)]):
    """A conversation's playbook runs, oldest first, with their steps."""
    authorize(actor, "conversations.read")
    return present.runs(session, service.runs_of(session, conversation_id))


@router.post("/runs", dependencies=[requires("write")], response_model=RunOut, status_code=201)
def start_run(body: StartIn, session: DB, actor: Me):
    """Start a template's newest version on a conversation (the running one when it runs there already)."""
    run = service.start(session, body.conversation_id, body.template_id, by=actor, reason=body.reason)
    return _run(session, run)


@router.get("/runs/{run_id:int}", dependencies=[requires("read")], response_model=RunOut)
def get_run(run_id: Id, session: DB, actor: Me):
    """One run with its steps."""
    authorize(actor, "conversations.read")
    return _run(session, service.get_run(session, run_id))


STEP = "/runs/{run_id:int}/steps/{position:int}"


@router.post(STEP + "/complete", dependencies=[requires("write")], response_model=RunOut)
def complete_step(run_id: Id, position: Position, body: CompleteIn, session: DB, actor: Me):
    """Complete a step (0-based position) with the evidence it needs."""
    service.complete_step(
        session, actor, run_id, position, message_id=body.message_id, attachment_id=body.attachment_id
    )
    return _run(session, service.get_run(session, run_id))


@router.post(STEP + "/skip", dependencies=[requires("write")], response_model=RunOut)
def skip_step(run_id: Id, position: Position, body: SkipIn, session: DB, actor: Me):
    """Skip an optional step (0-based position), saying why."""
    service.skip_step(session, actor, run_id, position, reason=body.reason)
    return _run(session, service.get_run(session, run_id))


@router.post("/runs/{run_id:int}/cancel", dependencies=[requires("write")], response_model=RunOut)
def cancel_run(run_id: Id, body: ReasonIn, session: DB, actor: Me):
    """Cancel a running playbook, saying why."""
    return _run(session, service.cancel(session, actor, run_id, reason=body.reason))


@router.post("/runs/{run_id:int}/override", dependencies=[requires("write")], response_model=RunOut)
def override_guard(run_id: Id, body: ReasonIn, session: DB, actor: Me):
    """Let the conversation be solved with this run's required steps open (supervisors; the reason is kept)."""
    return _run(session, service.override(session, actor, run_id, reason=body.reason))
