"""POST /messages/inbound: the API channel's way in, idempotent by Idempotency-Key and external id."""

from __future__ import annotations

import hashlib
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from rapport.agents import auth
from rapport.agents.permissions import Actor
from rapport.conversations.attachments import IncomingFile
from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.conversations.schemas import InboundIn, InboundOut
from rapport.db.session import Database
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, Unauthorized
from rapport.models import IdempotencyKey
from rapport.web.deps import SESSION_COOKIE

router = APIRouter(tags=["inbound"])


@router.post(
    "/messages/inbound",
    response_model=InboundOut,
    status_code=201,
    responses={200: {"model": InboundOut, "description": "Already received (replay or duplicate)"}},
)
def post_inbound(
    body: InboundIn,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
):
    """Receive a customer's message; a retried Idempotency-Key or external_id never stores it twice."""
    db: Database = request.app.state.db
    digest = hashlib.sha256(orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)).hexdigest()
    # Two writers racing on the same new customer, key or external id: the loser retries and finds the winner.
    for attempt in range(3):
        try:
            with db.write() as session:
                actor, scope = _authenticate(session, request)
                return _receive(session, actor, scope, body, digest, idempotency_key)
        except (IntegrityError, OperationalError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _authenticate(session: Session, request: Request) -> tuple[Actor, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        actor, token = auth.from_token(session, value.strip())
        return actor, f"token:{token.id}"
    if request.cookies.get(SESSION_COOKIE):
        raise Unauthorized("The inbound endpoint takes a bearer API token with the 'inbound' scope.")
    raise Unauthorized("Send 'Authorization: Bearer <token>' with the 'inbound' scope.")


def _receive(session: Session, actor: Actor, scope: str, body: InboundIn, digest: str, key: str | None):
    if key:
        stored = session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key))
        if stored is not None:
            if stored.request_hash != digest:
                raise Invalid(
                    f"Idempotency-Key '{key}' was already used with a different request body; "
                    "use a new key for a new message.",
                    errors=[{"field": "Idempotency-Key"}],
                )
            return JSONResponse(
                stored.response, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
            )
    result = receive_inbound(
        session,
        actor,
        Inbound(
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
        ),
    )
    out = InboundOut.model_validate(result, from_attributes=True).model_dump(mode="json")
    status = 200 if result.duplicate else 201
    if key:
        session.add(
            IdempotencyKey(
                scope=scope, key=key, request_hash=digest, status_code=status, response=out, created_at=now()
            )
        )
    return JSONResponse(out, status_code=status)
