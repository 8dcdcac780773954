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
        seen, overflow, replied = 0, False, False

        async def limited():
            nonlocal seen, overflow
            if overflow:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # End the body here; whatever the app answers to the cut body is replaced by a 413.
                    overflow = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message):
            nonlocal replied
            if overflow:
                if not replied:
                    replied = True
                    await self._reject(scope, send)
                return
            await send(message)

        await self.app(scope, limited, guarded_send)
        if overflow and not replied:
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
