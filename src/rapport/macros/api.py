"""REST routes for macros: list what one may use (with measures), keep them, preview and apply one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.macros import apply as applying
from rapport.macros import placeholders, service
from rapport.macros.schemas import (
    ApplyIn,
    ApplyOut,
    FieldChange,
    MacroIn,
    MacroListed,
    MacroMeasures,
    MacroOut,
    MacroPatch,
    PlaceholderOut,
    PreviewOut,
    Written,
)
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["macros"])


def listed(session, macros) -> list[MacroListed]:
    """Macros with their measures."""
    found = service.measures(session, macros)
    return [
        MacroListed(
            **MacroOut.model_validate(m).model_dump(),
            measures=MacroMeasures.model_validate({**vars(found[m.id]), "reopen_rate": found[m.id].reopen_rate}),
        )
        for m in macros
    ]


def _changes(plan) -> list[FieldChange]:
    return [FieldChange.model_validate(vars(c)) for c in plan.changes]


@router.get("/macros", dependencies=[requires("read")], response_model=list[MacroListed])
def list_macros(session: DB, actor: Me):
    """The macros you may use (shared, your team's, your own), by name, each with its measures."""
    return listed(session, service.usable(session, actor))


@router.get("/macros/placeholders", dependencies=[requires("read")], response_model=list[PlaceholderOut])
def list_placeholders(actor: Me):
    """The placeholders a macro's reply or note may use (`{{ name }}`, or `{{ name | fallback }}`), besides
    `field.<key>` for each custom field."""
    authorize(actor, "conversations.read")
    return [PlaceholderOut(name=k, description=v) for k, v in placeholders.KNOWN.items()]


@router.get("/macros/{macro_id:int}", dependencies=[requires("read")], response_model=MacroListed)
def get_macro(macro_id: Id, session: DB, actor: Me):
    """One macro you may use, with its measures."""
    return listed(session, [service.get(session, actor, macro_id)])[0]


@router.post("/macros", dependencies=[requires("write")], response_model=MacroOut, status_code=201)
def create_macro(body: MacroIn, session: DB, actor: Me):
    """Add a macro: personal (yours), or for a team or everyone (supervisors and admins)."""
    return service.create(session, actor, **body.model_dump(exclude={"changes"}), changes=body.changes)


@router.patch("/macros/{macro_id:int}", dependencies=[requires("write")], response_model=MacroOut)
def patch_macro(macro_id: Id, body: MacroPatch, session: DB, actor: Me):
    """Change a macro (a personal one by its owner; team and shared ones by supervisors and admins)."""
    given = {k: getattr(body, k) for k in body.model_fields_set}
    return service.update(session, actor, macro_id, **given)


@router.delete("/macros/{macro_id:int}", dependencies=[requires("write")], status_code=204)
def delete_macro(macro_id: Id, session: DB, actor: Me):
    """Delete a macro (its uses go with it; conversations' timelines keep what it did)."""
    service.delete(session, actor, macro_id)
    return Response(status_code=204)


@router.get("/macros/{macro_id:int}/preview", dependencies=[requires("read")], response_model=PreviewOut)
def preview_macro(macro_id: Id, conversation_id: Annotated[Id, Query()], session: DB, actor: Me):
    """Exactly what applying the macro to a conversation would write and change; nothing is written."""
    p = applying.preview(session, actor, macro_id, conversation_id)
    return PreviewOut(
        macro_id=p.macro.id,
        conversation_id=p.conv.id,
        reply=Written(**applying.written(p.reply)) if p.reply else None,
        channel=p.channel,
        note=Written(**applying.written(p.note)) if p.note else None,
        changes=_changes(p),
    )


@router.post("/macros/{macro_id:int}/apply", dependencies=[requires("write")], response_model=ApplyOut, status_code=201)
def apply_macro(macro_id: Id, body: ApplyIn, session: DB, actor: Me):
    """Apply the macro to a conversation: its reply (delivered as a typed reply is), note and changes, recorded as
    a use of the macro and shown on the timeline."""
    done = applying.apply(session, actor, macro_id, body.conversation_id)
    return ApplyOut(
        usage_id=done.usage.id,
        macro_id=done.plan.macro.id,
        conversation_id=done.plan.conv.id,
        reply_message_id=done.reply.id if done.reply else None,
        note_message_id=done.note.id if done.note else None,
        changes=_changes(done.plan),
    )
