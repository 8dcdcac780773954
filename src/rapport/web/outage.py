"""A database outage answered as such: 503 with Retry-After (problem+json, or a readable page), and /readyz.

The middleware sits outside every other one, so a failure to reach the database anywhere (a route, a dependency,
the fast inbound path, the lean reads) becomes one 503 and one rate-limited log line instead of a plain-text 500
with a traceback. /healthz stays the liveness check (the process answers); /readyz also asks the database.
"""

from __future__ import annotations

import asyncio
import html

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from rapport.db.outage import REPORTS, DatabaseUnavailable, is_unavailable
from rapport.db.session import Database

PROBLEM = "application/problem+json"
DETAIL = "The database cannot be reached right now; nothing was changed. Try again in a few seconds."
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rapport is unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>Rapport is unavailable for a moment</h1>
<p>{detail}</p><p>This page can be reloaded in {seconds} seconds.</p>
</body></html>
"""


def unavailable_response(request: Request, retry_after: int, detail: str = DETAIL) -> Response:
    """503 with Retry-After: a page for a browser asking for HTML outside the API, problem+json for everyone else."""
    headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
    accept = request.headers.get("accept", "")
    if "text/html" in accept and not request.url.path.startswith("/api/"):
        body = PAGE.format(detail=html.escape(detail), seconds=retry_after)
        return HTMLResponse(body, status_code=503, headers=headers)
    problem = DatabaseUnavailable(detail)
    return JSONResponse(problem.to_dict(request.url.path), status_code=503, media_type=PROBLEM, headers=headers)


class DatabaseOutage:
    """ASGI middleware: a request that failed to reach the database is answered 503 and reported once per interval."""

    def __init__(self, app, *, retry_after: int):
        self.app, self.retry_after = app, retry_after

    async def __call__(self, scope, receive, send):  # noqa: D102
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watch(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or not is_unavailable(exc):
                raise
            REPORTS.report(exc, where=f"{scope['method']} {scope['path']}")
            response = unavailable_response(Request(scope, receive), self.retry_after)
            await response(scope, receive, send)


async def readiness(db: Database, *, timeout: float, retry_after: int, request: Request) -> Response:
    """200 when the database answers a query within `timeout` seconds, else 503 naming why."""

    def probe() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM alembic_version"))  # reads the schema: proves the file/server is there

    try:
        await asyncio.wait_for(run_in_threadpool(probe), timeout)
    except TimeoutError:
        detail = f"The database did not answer within {timeout:g} s (RAPPORT_READINESS_TIMEOUT_SECONDS)."
        return unavailable_response(request, retry_after, detail)
    except Exception as exc:  # noqa: BLE001  (whatever the reason, this process cannot serve: not ready)
        REPORTS.report(exc, where="readiness check")
        return unavailable_response(request, retry_after, "The database cannot be reached.")
    return JSONResponse({"status": "ready", "database": "ok"})
