"""POST /messages/inbound: the API channel's way in, idempotent by Idempotency-Key and external id.

The route below documents the endpoint (OpenAPI) and serves it when the fast path is switched off;
`inbound_fast.InboundFastPath` serves the same contract with less machinery per request. Both use the
helpers here, so the two cannot drift apart.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from rapport.conversations.attachments import IncomingFile
from rapport.conversations.inbound import Inbound, Received
from rapport.conversations.intake import Delivery
from rapport.conversations.schemas import InboundIn, InboundOut
from rapport.kit.problems import Problem, Unauthorized
from rapport.web.deps import SESSION_COOKIE, requires

router = APIRouter(tags=["inbound"])
IDEMPOTENCY_KEY_MAX = 200


@router.post(
    "/messages/inbound",
    dependencies=[requires("inbound")],
    response_model=InboundOut,
    status_code=201,
    responses={200: {"model": InboundOut, "description": "Already received (a repeated external_id)"}},
)
async def post_inbound(
    body: InboundIn,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=IDEMPOTENCY_KEY_MAX)] = None,
):
    """Receive a customer's message; a retried Idempotency-Key or external_id never stores it twice."""
    # Async on purpose: the request waits on the intake's group commit without holding a worker thread.
    token = bearer(request.headers.get("authorization", ""), has_cookie=SESSION_COOKIE in request.cookies)
    outcome = await request.app.state.intake.receive(delivery(body, token, idempotency_key))
    if isinstance(outcome, Problem):
        raise outcome
    status, headers = answer(outcome)
    return JSONResponse(outcome.as_dict(), status_code=status, headers=headers)


def delivery(body: InboundIn, token: str, idempotency_key: str | None) -> Delivery:
    """The intake's unit of work for a validated request."""
    digest = ""
    if idempotency_key:
        digest = hashlib.sha256(orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)).hexdigest()
    msg = Inbound(
        inbox_id=body.inbox_id,
        sender_kind=body.sender.kind.value,
        sender_address=body.sender.address,
        sender_name=body.sender.name,
        subject=body.subject,
        text=body.text,
        html=body.html,
        external_id=body.external_id,
        conversation_id=body.conversation_id,
        in_reply_to=body.in_reply_to,
        channel=body.channel.value if body.channel else None,
        received_at=body.received_at,
        files=[IncomingFile(a.filename, a.raw(), a.content_type) for a in body.attachments],
    )
    return Delivery(token=token, msg=msg, idempotency_key=idempotency_key, digest=digest)


def answer(outcome: Received) -> tuple[int, dict[str, str] | None]:
    """Status and extra headers: 201 when stored now, 200 for a repeat, marked when an Idempotency-Key replayed."""
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return (200 if outcome.duplicate else 201), headers


def bearer(header: str, *, has_cookie: bool) -> str:
    """The bearer token; the inbound endpoint takes no session cookie."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if has_cookie:
        raise Unauthorized("The inbound endpoint takes a bearer API token with the 'inbound' scope.")
    raise Unauthorized("Send 'Authorization: Bearer <token>' with the 'inbound' scope.")
