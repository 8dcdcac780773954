"""The access log: one line per request (method, path, status, duration) on the `rapport.access` logger.

The query string is never logged (signed links and API keys travel there), and a path parameter that carries a
secret (a sign-in or invitation token) is written as "[secret]". RAPPORT_ACCESS_LOG=false turns it off.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("rapport.access")
# Path parameters whose value is a credential: sign-in links, invitations, signatures.
SECRET_PARAMS = {"token", "secret", "sig", "signature", "code", "password"}


def loggable_path(scope) -> str:
    """The request path without its query string, secret path parameters replaced."""
    path = scope.get("path", "")
    for name, value in (scope.get("path_params") or {}).items():
        if name in SECRET_PARAMS and value:
            path = path.replace(str(value), "[secret]")
    return path


class AccessLog:
    """ASGI middleware writing one INFO line per HTTP request once it is answered."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: D102
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def watch(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            millis = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.1f ms", scope["method"], loggable_path(scope), status, millis)
