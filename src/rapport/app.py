"""The ASGI application factory."""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles

from rapport import __version__, channels
from rapport.channels.email.runtime import EmailRuntime
from rapport.config import Settings, get_settings, use_settings
from rapport.conversations.inbound_fast import InboundFastPath
from rapport.conversations.intake import Intake
from rapport.db.engine import Checkpointer, make_engine
from rapport.db.session import Database
from rapport.realtime.hub import Hub
from rapport.web import errors, openapi, pages
from rapport.web.access import AccessLog
from rapport.web.deps import PUBLIC, declared_scope, requires
from rapport.web.inputs import InputGuard
from rapport.web.lean import LeanReads
from rapport.web.limits import BodyLimit
from rapport.web.outage import DatabaseOutage, readiness
from rapport.worker.runner import Worker


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, run_worker: bool | None = None
) -> FastAPI:
    """Build the app; `run_worker` starts the in-process job worker (default: RAPPORT_RUN_WORKER, else on)."""
    settings = use_settings(settings or get_settings())
    settings.resolved_secret_key()
    sys.setswitchinterval(settings.switch_interval(serving=True))  # process-wide
    database = db or Database(make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = Worker(database) if (run_worker if run_worker is not None else settings.run_worker) else None
        if worker:
            worker.start()
        # Email inboxes are fetched where the worker runs (each fetcher takes a lease, so only one fetches).
        mail = EmailRuntime(database) if worker else None
        if mail:
            mail.start()
        checkpointer = (
            Checkpointer(database.engine, interval=settings.sqlite_checkpoint_seconds) if database.is_sqlite else None
        )
        if checkpointer:
            checkpointer.start()
        app.state.worker, app.state.mail = worker, mail
        await app.state.hub.start()
        yield
        await app.state.hub.stop()
        if mail:
            mail.stop()
        if worker:
            worker.stop()
            worker.join(timeout=10)
        if checkpointer:
            checkpointer.stop()

    app = FastAPI(
        title="Rapport API",
        version=__version__,
        description="Every channel in one conversation history. Errors are RFC 9457 problem+json.",
        openapi_url=None,  # served below, completed by web.openapi, with the docs page
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.intake = Intake(database)
    app.state.settings = settings
    app.state.hub = Hub(
        database,
        queue_size=settings.live_queue_size,
        max_streams=settings.live_max_streams,
        redis_url=settings.redis_url,
        channel=settings.redis_channel,
    )
    errors.install(app)
    for router in _routers():
        app.include_router(router, prefix="/api/v1")
    for router in channels.load():
        app.include_router(router)
    for router in pages.load_views():  # the agent workspace: every domain's views.py
        app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("rapport.web", "static")]), name="static")

    @app.get("/healthz", include_in_schema=False, dependencies=[requires(PUBLIC)])
    def healthz() -> dict:
        """Liveness: the process answers (it does not ask the database; /readyz does)."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", include_in_schema=False, dependencies=[requires(PUBLIC)])
    async def readyz(request: Request):
        """Readiness: 200 when the database answers SELECT within RAPPORT_READINESS_TIMEOUT_SECONDS, else 503."""
        return await readiness(
            database,
            timeout=settings.readiness_timeout_seconds,
            retry_after=settings.db_retry_after_seconds,
            request=request,
        )

    app.openapi = lambda: openapi.document(app)

    @app.get("/api/v1/openapi.json", include_in_schema=False, dependencies=[requires(PUBLIC)])
    def openapi_json() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/v1/docs", include_in_schema=False, dependencies=[requires(PUBLIC)])
    def api_docs(request: Request) -> HTMLResponse:
        # Swagger UI from static/vendor (npm, by the lockfile) and its initialiser as a file: no CDN, no inline script.
        return pages.secure(pages.TEMPLATES.TemplateResponse(request, "api_docs.html", {"title": app.title}))

    if "chat" in channels.ADAPTERS:
        from rapport.channels.chat.cors import ChatCors

        app.add_middleware(ChatCors, db=database)
    if settings.inbound_fast_path:
        app.add_middleware(InboundFastPath, intake=app.state.intake)
    if settings.lean_reads:
        from rapport.conversations.api import LEAN

        scopes = {r.endpoint: declared_scope(r) for r in iter_route_contexts(app.routes) if r.endpoint}
        app.add_middleware(LeanReads, routes=LEAN, scopes=scopes)
    app.add_middleware(InputGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # Outside every other middleware: a database outage anywhere is one 503, and the access log sees it.
    app.add_middleware(DatabaseOutage, retry_after=settings.db_retry_after_seconds)
    if settings.access_log:
        app.add_middleware(AccessLog)
    return app


def _routers():
    from rapport.agents.api import router as agents
    from rapport.categories.api import router as categories
    from rapport.conversations.api import router as conversations
    from rapport.conversations.inbound_api import router as inbound
    from rapport.conversations.reply_options import router as reply_options
    from rapport.customers.api import router as customers
    from rapport.inboxes.api import router as inboxes
    from rapport.realtime.api import router as live
    from rapport.search.api import router as search
    from rapport.supervision.api import router as supervision
    from rapport.webhooks.api import router as webhooks

    return [
        conversations,
        reply_options,
        inbound,
        customers,
        agents,
        inboxes,
        categories,
        search,
        live,
        supervision,
        webhooks,
    ]
