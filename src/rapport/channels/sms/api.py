"""Twilio's SMS webhooks: an incoming message and a delivery status callback, each for one inbox."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from rapport.agents.permissions import SYSTEM
from rapport.channels.sms import service
from rapport.channels.twilio_common.deps import SmsHook
from rapport.channels.twilio_common.webhook import twiml
from rapport.conversations.intake import Delivery
from rapport.kit.problems import Problem
from rapport.web.deps import DB

router = APIRouter(prefix="/channels/twilio/sms", tags=["channels"], include_in_schema=False)


@router.post("/{inbox_id}/inbound")
async def inbound(inbox_id: int, hook: SmsHook, request: Request):
    """Store an incoming SMS/MMS (answered only after commit); a replayed MessageSid is stored once."""
    msg = (
        await run_in_threadpool(service.inbound_message, hook)
        if service.has_media(hook)
        else (service.inbound_message(hook))
    )
    # The intake commits concurrent webhooks together, so a burst costs a few transactions, not one each.
    outcome = await request.app.state.intake.receive(Delivery(token=None, msg=msg, actor=SYSTEM))
    if isinstance(outcome, Problem):
        raise outcome
    return twiml()


@router.post("/{inbox_id}/status")
def status(inbox_id: int, hook: SmsHook, session: DB, m: int):
    """A delivery status callback for outbound message `m` (the StatusCallback URL names it)."""
    service.delivery_status(session, hook, message_id=m)
    return twiml()
