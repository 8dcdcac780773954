"""POST /messages/inbound: the API channel's way in, idempotent by Idempotency-Key and external id."""

from __future__ import annotations

import hashlib
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from rapport.conversations.attachments import IncomingFile
from rapport.conversations.inbound import Inbound
from rapport.conversations.intake import Delivery
from rapport.conversations.schemas import InboundIn, InboundOut
from rapport.kit.problems import Problem, Unauthorized
from rapport.web.deps import SESSION_COOKIE

router = APIRouter(tags=["inbound"])


@router.post(
    "/messages/inbound",
    response_model=InboundOut,
    status_code=201,
    responses={200: {"model": InboundOut, "description": "Already received (a repeated external_id)"}},
)
async def post_inbound(
    body: InboundIn, request: Request, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
):
    """Receive a customer's message; a retried Idempotency-Key or external_id never stores it twice."""
    # Async on purpose: the request waits on the intake's group commit without holding a worker thread.
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
    delivery = Delivery(token=_bearer(request), msg=msg, idempotency_key=idempotency_key, digest=digest)
    outcome = await request.app.state.intake.receive(delivery)
    if isinstance(outcome, Problem):
        raise outcome
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.as_dict(), status_code=200 if outcome.duplicate else 201, headers=headers)


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.cookies.get(SESSION_COOKIE):
        raise Unauthorized("The inbound endpoint takes a bearer API token with the 'inbound' scope.")
    raise Unauthorized("Send 'Authorization: Bearer <token>' with the 'inbound' scope.")
