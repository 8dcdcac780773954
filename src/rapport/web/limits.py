"""Request body size limit, enforced while reading, before the app parses anything."""

from __future__ import annotations

import orjson

from rapport.kit.problems import TooLarge


class BodyLimit:
    """ASGI middleware answering 413 (naming RAPPORT_MAX_BODY_BYTES) when a body exceeds the limit."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):  # noqa: D102
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(scope, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _Overflow
            return message

        try:
            await self.app(scope, limited, send)
        except _Overflow:
            await self._reject(scope, send)

    async def _reject(self, scope, send):
        problem = TooLarge(
            f"The request body is larger than {self.max_bytes} bytes (RAPPORT_MAX_BODY_BYTES).",
            limit=self.max_bytes,
            setting="RAPPORT_MAX_BODY_BYTES",
        )
        body = orjson.dumps(problem.to_dict(scope.get("path")))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _Overflow(Exception):
    pass
