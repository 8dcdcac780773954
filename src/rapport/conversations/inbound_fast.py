"""POST /api/v1/messages/inbound without the framework's per-request machinery: the busiest write path.

Every message a channel or integration sends arrives here, so the per-request overhead of routing,
dependency solving and response-model handling is a large share of its cost. This ASGI middleware serves
exactly that path with the same contract as the documented route in `inbound_api` (same schema, the same
helpers for the message, the status and the errors), and hands everything else on. Switch it off with
RAPPORT_INBOUND_FAST_PATH=false to serve the endpoint through the ordinary route.
"""

from __future__ import annotations

import orjson
from pydantic import ValidationError

from rapport.conversations.inbound_api import IDEMPOTENCY_KEY_MAX, answer, bearer, delivery
from rapport.conversations.schemas import InboundIn
from rapport.kit.problems import Invalid, Problem
from rapport.web.deps import SESSION_COOKIE
from rapport.web.errors import PROBLEM, validation_problem

PATH = "/api/v1/messages/inbound"
_JSON = b"application/json"


class InboundFastPath:
    """ASGI middleware answering POST /api/v1/messages/inbound itself; `intake` is the process's Intake."""

    def __init__(self, app, intake):
        self.app, self.intake = app, intake

    async def __call__(self, scope, receive, send):  # noqa: D102
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        try:
            status, body, extra = await self._handle(scope, receive)
            headers = [(b"content-type", _JSON)]
        except Problem as problem:
            status, body, extra = problem.status, orjson.dumps(problem.to_dict(PATH)), None
            headers = [(b"content-type", PROBLEM.encode())]
        headers.append((b"content-length", str(len(body)).encode()))
        if extra:
            headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope, receive) -> tuple[int, bytes, dict | None]:
        headers = dict(scope["headers"])
        raw = await _read(receive)
        key = headers.get(b"idempotency-key")
        key = key.decode("latin-1") if key is not None else None
        if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
            raise Invalid(
                f"The request has invalid fields: idempotency-key: at most {IDEMPOTENCY_KEY_MAX} characters.",
                errors=[{"field": "idempotency-key", "message": "too long", "type": "string_too_long"}],
            )
        body = _parse(raw, headers.get(b"content-type"))
        cookie = headers.get(b"cookie", b"").decode("latin-1")
        token = bearer(headers.get(b"authorization", b"").decode("latin-1"), has_cookie=f"{SESSION_COOKIE}=" in cookie)
        outcome = await self.intake.receive(delivery(body, token, key))
        if isinstance(outcome, Problem):
            raise outcome
        status, extra = answer(outcome)
        return status, orjson.dumps(outcome.as_dict()), extra


async def _read(receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _parse(raw: bytes, content_type: bytes | None) -> InboundIn:
    if not raw:
        raise validation_problem([{"loc": ("body",), "msg": "Field required", "type": "missing"}])
    if content_type is not None and b"json" not in content_type.split(b";")[0].lower():
        raise Invalid(
            "Send the body as JSON (Content-Type: application/json).",
            errors=[{"field": "body", "message": "not JSON", "type": "content_type"}],
        )
    try:
        return InboundIn.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_problem([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
