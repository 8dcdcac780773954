"""Routes: Twilio's voice webhooks for a phone inbox, and the REST API for IVRs and callbacks."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from rapport.channels.twilio_common.deps import VoiceHook
from rapport.channels.twilio_common.webhook import twiml
from rapport.channels.voice import admin, calls, lifecycle, survey
from rapport.channels.voice.ivr import Ivr
from rapport.channels.voice.schemas import CallbackDone, CallbackOut
from rapport.kit.schema import Id, Int
from rapport.web.deps import DB, PUBLIC, Me, requires

hooks = APIRouter(
    prefix="/channels/twilio/voice/{inbox_id}",
    tags=["channels"],
    include_in_schema=False,
    dependencies=[requires(PUBLIC)],
)
rest = APIRouter(prefix="/api/v1", tags=["telephony"])
router = APIRouter()


@hooks.post("/incoming")
def incoming(inbox_id: Id, hook: VoiceHook, session: DB):
    """A call arrives (the number's Voice URL): it is stored, then the menu is played."""
    return twiml(calls.incoming(session, hook))


@hooks.post("/menu")
def menu(inbox_id: Id, hook: VoiceHook, session: DB, path: str = Query("", pattern=r"^[1-9]?$")):
    """The caller's choice in the menu at `path`."""
    return twiml(calls.choose(session, hook, path=path))


@hooks.post("/timeout")
def timeout(inbox_id: Id, hook: VoiceHook, session: DB):
    """No choice was made in a menu."""
    return twiml(calls.timeout(session, hook))


@hooks.post("/wait")
def wait(inbox_id: Id, hook: VoiceHook):
    """Enqueue's waitUrl: what a waiting caller hears."""
    return twiml(lifecycle.wait_music(hook))


@hooks.post("/wait-key")
def wait_key(inbox_id: Id, hook: VoiceHook, session: DB):
    """A key pressed while waiting (1: call me back instead)."""
    return twiml(lifecycle.wait_key(session, hook))


@hooks.post("/answered")
def answered(inbox_id: Id, hook: VoiceHook, session: DB):
    """The <Queue url> of an agent's <Dial>: the caller is being connected."""
    return twiml(lifecycle.answered(session, hook))


@hooks.post("/queue-result")
def queue_result(inbox_id: Id, hook: VoiceHook, session: DB):
    """Enqueue's action: why the caller left the queue (QueueResult) after QueueTime seconds."""
    return twiml(lifecycle.queue_result(session, hook))


@hooks.post("/survey-key")
def survey_key(inbox_id: Id, hook: VoiceHook, session: DB, req: Id):
    """The caller's keypad answer to survey request `req`, asked after the call (Gather's action: Digits)."""
    return twiml(survey.key(session, hook, req))


@hooks.post("/status")
def status(inbox_id: Id, hook: VoiceHook, session: DB):
    """The number's call status callback."""
    lifecycle.call_status(session, hook)
    return twiml()


@hooks.post("/recording")
def recording(inbox_id: Id, hook: VoiceHook, session: DB):
    """A recording status callback."""
    lifecycle.recording(session, hook)
    return twiml()


@rest.get("/inboxes/{inbox_id}/ivr", dependencies=[requires("admin")], response_model=Ivr)
def get_ivr(inbox_id: Id, session: DB, actor: Me):
    """A phone inbox's IVR (admins)."""
    return admin.get_ivr(session, actor, inbox_id)


@rest.put("/inboxes/{inbox_id}/ivr", dependencies=[requires("admin")], response_model=Ivr)
def put_ivr(inbox_id: Id, body: Ivr, session: DB, actor: Me):
    """Replace a phone inbox's IVR (admins); menus have at most two levels and one option per digit."""
    return admin.set_ivr(session, actor, inbox_id, body)


@rest.get("/callbacks", dependencies=[requires("read")], response_model=list[CallbackOut])
def get_callbacks(
    session: DB,
    actor: Me,
    state: Literal["due", "done", "cancelled"] = "due",
    due_only: bool = False,
    limit: Int = Query(100, ge=1, le=500),
):
    """Callbacks callers asked for, earliest due first (`due_only`: those due by now)."""
    return admin.list_callbacks(session, actor, state=state, due_only=due_only, limit=limit)


@rest.post("/callbacks/{callback_id}/done", dependencies=[requires("write")], response_model=CallbackOut)
def finish_callback(callback_id: Id, body: CallbackDone, session: DB, actor: Me):
    """Mark a callback done (or cancelled)."""
    return admin.finish_callback(session, actor, callback_id, state=body.state)


router.include_router(hooks)
router.include_router(rest)
