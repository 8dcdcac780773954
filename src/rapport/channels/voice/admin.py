"""Admin and agent services for telephony: reading and setting a phone inbox's IVR, working callbacks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.channels.voice import repository
from rapport.channels.voice.ivr import Ivr
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, NotFound
from rapport.models import Callback, Inbox


def get_ivr(session: Session, actor: Actor, inbox_id: int) -> Ivr:
    """A phone inbox's IVR (the default when none is set); admins only."""
    authorize(actor, "admin")
    inbox = _phone_inbox(session, inbox_id)
    return Ivr.model_validate(inbox.settings["ivr"]) if inbox.settings.get("ivr") else Ivr()


def set_ivr(session: Session, actor: Actor, inbox_id: int, ivr: Ivr) -> Ivr:
    """Replace a phone inbox's IVR (already validated: two levels at most, one option per digit); admins only."""
    authorize(actor, "admin")
    inbox = _phone_inbox(session, inbox_id, lock=True)
    inbox.settings = {**inbox.settings, "ivr": ivr.model_dump(mode="json")}
    record(session, "inbox.updated", actor, object="inbox", object_id=inbox.id, fields={"ivr": "replaced"})
    return ivr


def list_callbacks(session: Session, actor: Actor, *, state: str, due_only: bool, limit: int) -> list[Callback]:
    """Callbacks in `state`, earliest due first; `due_only` keeps those due by now."""
    authorize(actor, "conversations.read")
    return repository.callbacks(session, state=state, due_before=now() if due_only else None, limit=limit)


def finish_callback(session: Session, actor: Actor, callback_id: int, *, state: str) -> Callback:
    """An agent called the customer back ("done") or dropped the callback ("cancelled")."""
    authorize(actor, "conversations.write")
    callback = session.get(Callback, callback_id, with_for_update=True)
    if callback is None:
        raise NotFound(f"There is no callback {callback_id}.")
    if callback.state != "due":
        raise Conflict(f"Callback {callback_id} is already {callback.state}.")
    callback.state, callback.done_at = state, now()
    callback.done_by_id = actor.id if actor.kind == "agent" else None
    record(
        session,
        "callback.completed",
        actor,
        conversation_id=callback.conversation_id,
        customer_id=callback.customer_id,
        callback_id=callback.id,
        state=state,
    )
    return callback


def _phone_inbox(session: Session, inbox_id: int, *, lock: bool = False) -> Inbox:
    inbox = repository.inbox(session, inbox_id, lock=lock)
    if inbox is None:
        raise NotFound(f"There is no inbox {inbox_id}.")
    if inbox.channel != "phone":
        raise Conflict(f"Inbox {inbox_id} is a {inbox.channel} inbox; only phone inboxes have an IVR.")
    return inbox


__all__ = ["finish_callback", "get_ivr", "list_callbacks", "set_ivr"]
