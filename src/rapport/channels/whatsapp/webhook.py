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
from rapport.surveys.answers import numeric_reply, take_text_answer
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
    # A bare number answering the sender's open WhatsApp survey is recorded as its answer, not stored as a
    # message (it would reopen the solved conversation); anything else is an ordinary message (docs/surveys.md).
    received = accepted.count
    numbers = [m for m in accepted.messages if not m.media_id and numeric_reply(m.msg.text) is not None]
    if numbers:
        answered = await run_in_threadpool(_survey_answers, db, numbers)
        accepted.messages = [m for m in accepted.messages if id(m) not in answered]
    # The intake commits concurrent webhooks together, so a burst costs a few transactions, not one each.
    intake = request.app.state.intake
    outcomes = await asyncio.gather(
        *(intake.receive(Delivery(token=None, msg=m.msg, actor=SYSTEM)) for m in accepted.messages)
    )
    for item, outcome in zip(accepted.messages, outcomes, strict=True):
        service.refused(item, outcome)
    if accepted.statuses:
        await run_in_threadpool(service.store_statuses, db, accepted.statuses)
    return JSONResponse({"received": received})


def _survey_answers(db, messages: list) -> set[int]:
    """The messages (by object id) recorded as survey answers."""
    return {
        id(m)
        for m in messages
        if take_text_answer(db, channel="whatsapp", address=m.msg.sender_address, text=m.msg.text)
    }
