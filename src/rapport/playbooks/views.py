"""The playbook checklist on the conversation page (loaded into the panel by htmx, its forms answered with the
checklist again): start a playbook, complete or skip steps, cancel a run, override its solve guard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from rapport.conversations import repository as conversations
from rapport.kernel.permissions import authorize
from rapport.kit.problems import Forbidden, NotFound, Problem
from rapport.kit.schema import Id
from rapport.playbooks import checklist, service, templates
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, is_htmx, redirect, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
BASE = "/conversations/{conversation_id:int}/playbooks"
Position = Annotated[int, Path(ge=0, le=199)]  # a step's place; RAPPORT_PLAYBOOK_MAX_STEPS is at most 200


def _show(request: Request, session, viewer, conversation_id: int, *, notice: str = "", errors=None, status=200):
    context = checklist.build(session, viewer.actor, conversation_id)
    return render(request, "playbooks/_checklist.html", viewer, status=status, c=context, notice=notice,
                  errors=errors or {})  # fmt: skip


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _answer(request, session, viewer, conversation_id: int, done: str):
    """The checklist again (htmx), or back to the conversation page with a notice."""
    if is_htmx(request):
        return _show(request, session, viewer, conversation_id, notice=done)
    return redirect(f"/conversations/{conversation_id}", done)


def _refused(request, session, viewer, conversation_id: int, exc):
    refused(session)
    # A checklist form has a field or two: the problem's own sentence says what is wrong with them.
    errors = {"form": exc.detail} if isinstance(exc, Problem) else field_errors(exc)
    if not is_htmx(request):
        raise exc
    return _show(request, session, viewer, conversation_id, errors=errors, status=422)


def _run_of(session, conversation_id: int, run_id: int):
    run = service.get_run(session, run_id)
    if run.conversation_id != conversation_id:
        raise NotFound(f"Playbook run #{run_id} is not on conversation #{conversation_id}.")
    return run


@router.get(BASE)
def show(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """The conversation's checklist."""
    authorize(viewer.actor, "conversations.read")
    conversations.get(session, conversation_id)
    return _show(request, session, viewer, conversation_id)


@router.post(BASE)
async def start(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """Start the chosen playbook on the conversation."""
    form = await _form(request)
    try:
        template_id = int(form.get("template_id") or 0)
        run = service.start(session, conversation_id, template_id, by=viewer.actor, reason="started by hand")
    except ValueError:
        return _refused(request, session, viewer, conversation_id, NotFound("Choose a playbook to start."))
    except (*FORM_PROBLEMS, Forbidden, NotFound) as exc:
        return _refused(request, session, viewer, conversation_id, exc)
    name = templates.get(session, run.template_id).name
    return _answer(request, session, viewer, conversation_id, f"Started the playbook {name}.")


@router.post(BASE + "/{run_id:int}/steps/{position:int}")
async def step(request: Request, session: DB, viewer: Page, conversation_id: Id, run_id: Id, position: Position):
    """Complete a step (with its note, attachment or field value), or skip an optional one with a reason."""
    form = await _form(request)
    try:
        _run_of(session, conversation_id, run_id)
        if form.get("action") == "skip":
            service.skip_step(session, viewer.actor, run_id, position, reason=form.get("reason", ""))
            done = f"Skipped step {position + 1}."
        else:
            attachment = form.get("attachment_id") or ""
            service.complete_step(
                session, viewer.actor, run_id, position, note=form.get("note") if "note" in form else None,
                attachment_id=int(attachment) if attachment.isdigit() else None,
            )  # fmt: skip
            done = f"Completed step {position + 1}."
    except (*FORM_PROBLEMS, Forbidden, NotFound) as exc:
        return _refused(request, session, viewer, conversation_id, exc)
    return _answer(request, session, viewer, conversation_id, done)


@router.post(BASE + "/{run_id:int}/cancel")
async def cancel(request: Request, session: DB, viewer: Page, conversation_id: Id, run_id: Id):
    """Cancel a running playbook, saying why."""
    form = await _form(request)
    try:
        _run_of(session, conversation_id, run_id)
        service.cancel(session, viewer.actor, run_id, reason=form.get("reason", ""))
    except (*FORM_PROBLEMS, Forbidden, NotFound) as exc:
        return _refused(request, session, viewer, conversation_id, exc)
    return _answer(request, session, viewer, conversation_id, "Cancelled the playbook.")


@router.post(BASE + "/{run_id:int}/override")
async def override(request: Request, session: DB, viewer: Page, conversation_id: Id, run_id: Id):
    """Let the conversation be solved with required steps open (supervisors), saying why."""
    form = await _form(request)
    try:
        _run_of(session, conversation_id, run_id)
        service.override(session, viewer.actor, run_id, reason=form.get("reason", ""))
    except (*FORM_PROBLEMS, Forbidden, NotFound) as exc:
        return _refused(request, session, viewer, conversation_id, exc)
    return _answer(request, session, viewer, conversation_id, "Solving is allowed with steps open; reason recorded.")
