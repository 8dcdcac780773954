"""Refuse a NUL character wherever a request carries text outside a JSON body: path, query, headers, form fields.

No database column stores NUL (PostgreSQL refuses it) and no person types one, so a request holding one is refused
before any route sees it, with a 422 naming where it was. JSON bodies are checked by `kit.schema.In`.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

import orjson

from rapport.kit.problems import Invalid

FORM = b"application/x-www-form-urlencoded"


def _has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"\x00" in unquote_to_bytes(raw.replace(b"+", b" "))


class InputGuard:
    """ASGI middleware answering 422 for a NUL in the path, the query string, a header or a urlencoded form body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: D102
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if "\x00" in scope.get("path", "") or _has_nul(scope.get("raw_path") or b""):
            return await self._reject(scope, send, "path")
        if _has_nul(scope.get("query_string") or b""):
            return await self._reject(scope, send, "query")
        headers = scope.get("headers") or []
        if any(b"\x00" in value for _, value in headers):  # HTTP servers refuse these; a proxy might not
            return await self._reject(scope, send, "headers")
        ctype = dict(headers).get(b"content-type", b"")
        if not ctype.lower().startswith(FORM):
            return await self.app(scope, receive, send)
        # A urlencoded body is read whole here (BodyLimit bounds it) and handed on unchanged.
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _has_nul(body):
            return await self._reject(scope, send, "form")
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)

    @staticmethod
    async def _reject(scope, send, where: str):
        problem = Invalid(
            f"The request's {where} holds a NUL character (%00), which Rapport never accepts.",
            errors=[{"field": where, "message": "must not contain a NUL character", "type": "value_error"}],
        )
        body = orjson.dumps(problem.to_dict(scope.get("path")))
        headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 422, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[dict], receive=None):
    """A `receive` that hands out `messages`, then defers to the real one (for a disconnect)."""
    pending = list(messages)

    async def replay():
        if pending:
            return pending.pop(0)
        if receive is not None:
            return await receive()
        return {"type": "http.disconnect"}

    return replay
