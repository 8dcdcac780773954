"""Twilio's SMS webhooks: an incoming message and a delivery status callback, each for one inbox."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from rapport.channels.sms import media, service
from rapport.channels.twilio_common.deps import SmsHook
from rapport.channels.twilio_common.webhook import twiml
from rapport.config import get_settings
from rapport.conversations.intake import Delivery
from rapport.kernel.permissions import SYSTEM
from rapport.kit import blobs
from rapport.kit.problems import Problem
from rapport.kit.schema import Id, Int, Str
from rapport.surveys.answers import numeric_reply, take_text_answer
from rapport.web.deps import DB, PUBLIC, requires

router = APIRouter(
    prefix="/channels/twilio/sms", tags=["channels"], include_in_schema=False, dependencies=[requires(PUBLIC)]
)


@router.post("/{inbox_id}/inbound")
async def inbound(inbox_id: Id, hook: SmsHook, request: Request):
    """Store an incoming SMS/MMS (answered only after commit); a replayed MessageSid is stored once."""
    # A bare number answering the sender's open SMS survey is recorded as its answer, not stored as a message
    # (it would reopen the solved conversation); anything else is an ordinary message (docs/surveys.md).
    body = hook.get("Body")
    if not service.has_media(hook) and numeric_reply(body) is not None:
        db = request.app.state.db
        sender = hook.get("From") or ""
        if await run_in_threadpool(take_text_answer, db, channel="sms", address=sender, text=body):
            return twiml()
    # Plain SMS is built on the event loop (no I/O); MMS media is downloaded in a worker thread.
    if service.has_media(hook):
        msg = await run_in_threadpool(service.inbound_message, hook)
    else:
        msg = service.inbound_message(hook)
    # The intake commits concurrent webhooks together, so a burst costs a few transactions, not one each.
    outcome = await request.app.state.intake.receive(Delivery(token=None, msg=msg, actor=SYSTEM))
    if isinstance(outcome, Problem):
        raise outcome
    return twiml()


@router.post("/{inbox_id}/status")
def status(inbox_id: Id, hook: SmsHook, session: DB, m: Int):
    """A delivery status callback for outbound message `m` (the StatusCallback URL names it)."""
    service.delivery_status(session, hook, message_id=m)
    return twiml()


@router.get("/media/{attachment_id}")
def outbound_media(attachment_id: Id, exp: Int, sig: Str, session: DB):
    """An outbound attachment for Twilio to fetch, through a signed, expiring link; always a download."""
    att = media.open_link(session, attachment_id, exp=exp, sig=sig)
    return FileResponse(
        blobs.blob_path(get_settings().attachments_dir, att.sha256),
        filename=att.filename,
        media_type=att.content_type,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )
