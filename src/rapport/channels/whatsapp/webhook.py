"""Meta's webhook endpoint for WhatsApp: GET for the subscription handshake, POST for messages and statuses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from rapport.channels.whatsapp import service

router = APIRouter(prefix="/channels/whatsapp", tags=["whatsapp"])


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
    count = await run_in_threadpool(service.receive_webhook, request.app.state.db, body, signature)
    return JSONResponse({"received": count})
