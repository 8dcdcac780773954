"""CORS for the chat API: the widget runs on other sites, which the inbox lists in settings.allowed_origins.

Requests carry the visitor token in a header, never a cookie, so no credentials mode is needed. A request from
an origin the inbox does not allow is refused outright (403), not just hidden from the page, so another site
cannot open chats on the inbox. The inbox's origins are read once per key per few seconds.
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool

from rapport.channels.chat import repository
from rapport.db.session import Database

PREFIX = "/chat/api/"
ALLOW_HEADERS = "content-type, x-rapport-visitor"
ALLOW_METHODS = "GET, POST, OPTIONS"
CACHE_SECONDS = 5.0


class ChatCors:
    """ASGI middleware answering preflights and adding Access-Control-* headers under /chat/api/<key>/."""

    def __init__(self, app, db: Database):
        self.app, self.db = app, db
        self._cache: dict[str, tuple[float, list[str] | None]] = {}

    async def __call__(self, scope, receive, send):  # noqa: D102
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            return await self.app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        origin = headers.get("origin")
        if origin is None:
            return await self.app(scope, receive, send)
        key = scope["path"][len(PREFIX) :].split("/", 1)[0]
        same_origin = origin.rstrip("/") == f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        allowed = same_origin or await self._allows(key, origin)
        if not allowed:
            return await _refuse(send, origin)
        cors = [
            (b"access-control-allow-origin", origin.encode()),
            (b"vary", b"Origin"),
            (b"access-control-expose-headers", b"content-type, content-disposition"),
        ]
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            cors += [
                (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": cors})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + cors}
            await send(message)

        return await self.app(scope, receive, send_with_cors)

    async def _allows(self, key: str, origin: str) -> bool:
        hit = self._cache.get(key)
        if hit is None or hit[0] < time.monotonic():
            # Cached: preflights and messages of busy widgets hit the same few keys; the read runs off the loop.
            origins = await run_in_threadpool(self._origins, key)
            hit = (time.monotonic() + CACHE_SECONDS, origins)
            self._cache[key] = hit
        origins = hit[1]
        if origins is None:
            return True  # no such inbox: let the route answer 404
        return "*" in origins or origin.rstrip("/") in origins

    def _origins(self, key: str) -> list[str] | None:
        with self.db.read() as session:
            return repository.allowed_origins(session, key)


async def _refuse(send, origin: str) -> None:
    body = (
        b'{"type":"https://rapport.dev/problems/forbidden","title":"Not allowed","status":403,'
        b'"detail":"This chat does not accept requests from this site; add its origin to the inbox\'s '
        b'settings.allowed_origins."}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
    del origin
