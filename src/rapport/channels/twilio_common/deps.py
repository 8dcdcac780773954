"""FastAPI dependencies that verify a Twilio webhook before the request's transaction is opened."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rapport.channels.twilio_common.webhook import Webhook, receive
from rapport.kit.schema import Id


async def sms_webhook(request: Request, inbox_id: Id) -> Webhook:
    """A verified webhook for an SMS inbox."""
    return await receive(request, inbox_id, "sms")


async def voice_webhook(request: Request, inbox_id: Id) -> Webhook:
    """A verified webhook for a phone inbox."""
    return await receive(request, inbox_id, "phone")


# Declared before the DB dependency in a route, so a forged request never opens a write transaction.
SmsHook = Annotated[Webhook, Depends(sms_webhook)]
VoiceHook = Annotated[Webhook, Depends(voice_webhook)]
