"""REST routes for inboxes and custom field definitions (admin configuration)."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.conversations import fields
from rapport.inboxes import repository, service
from rapport.inboxes.schemas import FieldIn, FieldOut, InboxIn, InboxOut, InboxPatch
from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["configuration"])


@router.get("/inboxes", dependencies=[requires("read")], response_model=list[InboxOut])
def list_inboxes(session: DB, actor: Me):
    """Every inbox."""
    authorize(actor, "directory.read")
    return repository.all_(session)


@router.post("/inboxes", dependencies=[requires("admin")], response_model=InboxOut, status_code=201)
def create_inbox(body: InboxIn, session: DB, actor: Me):
    """Create an inbox (admins)."""
    return service.create(session, actor, **{**body.model_dump(), "channel": body.channel.value})


@router.get("/inboxes/{inbox_id}", dependencies=[requires("read")], response_model=InboxOut)
def get_inbox(inbox_id: Id, session: DB, actor: Me):
    """One inbox."""
    authorize(actor, "directory.read")
    return repository.get(session, inbox_id)


@router.patch("/inboxes/{inbox_id}", dependencies=[requires("admin")], response_model=InboxOut)
def patch_inbox(inbox_id: Id, body: InboxPatch, session: DB, actor: Me):
    """Change an inbox (admins)."""
    return service.update(session, actor, inbox_id, **body.model_dump(exclude_unset=True))


@router.get("/fields", dependencies=[requires("read")], response_model=list[FieldOut])
def list_fields(session: DB, actor: Me):
    """Custom field definitions."""
    authorize(actor, "directory.read")
    return fields.definitions(session)


@router.post("/fields", dependencies=[requires("admin")], response_model=FieldOut, status_code=201)
def create_field(body: FieldIn, session: DB, actor: Me):
    """Define a custom field (admins)."""
    return fields.define(session, actor, **body.model_dump())
