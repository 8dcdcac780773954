"""Meta's webhook endpoint for WhatsApp: GET for the subscription handshake, POST for messages and statuses."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from rapport.channels.whatsapp import service
from rapport.conversations.intake import Delivery
from rapport.kernel.permissions import SYSTEM
from rapport.web.deps import PUBLIC, requires

router = APIRouter(prefix="/channels/whatsapp", tags=["whatsapp"], dependencies=[requires(PUBLIC)])


@router.get("/webhook", response_class=PlainTextResponse)
def verify(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
) -> PlainTextResponse:
    """Echo hub.challenge when hub.verify_token is a WhatsApp inbox's verify token; 403 otherwise."""
    return PlainTextResponse(
        service.verify_subscription(request.app.state.db, mode=mode, token=token, challenge=challenge)
    )


@router.post("/webhook")
async def receive(
    request: Request, signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None
) -> JSONResponse:
    """Receive messages and delivery statuses; 200 only once they are stored."""
    body = await request.body()
    db = request.app.state.db
    accepted = service.accept(db, body, signature)  # no I/O while the inbox cache is fresh
    if service.needs_io(accepted):
        await run_in_threadpool(service.fetch_media, db, accepted)
    # The intake commits concurrent webhooks together, so a burst costs a few transactions, not one each.
    intake = request.app.state.intake
    outcomes = await asyncio.gather(
        *(intake.receive(Delivery(token=None, msg=m.msg, actor=SYSTEM)) for m in accepted.messages)
    )
    for item, outcome in zip(accepted.messages, outcomes, strict=True):
        service.refused(item, outcome)
    if accepted.statuses:
        await run_in_threadpool(service.store_statuses, db, accepted.statuses)
    return JSONResponse({"received": accepted.count})
