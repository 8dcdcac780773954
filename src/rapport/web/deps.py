"""FastAPI dependencies: the request's transaction and the acting agent."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from rapport.agents import auth
from rapport.config import get_settings
from rapport.db.session import Database
from rapport.kernel.permissions import ALL_SCOPES, Actor
from rapport.kit.problems import Forbidden, Unauthorized

SESSION_COOKIE = "rapport_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
T = TypeVar("T")


# What a route may be called with: a token holding one of the token scopes (or a browser session); a browser
# session only (SESSION: workspace pages, signing out); or no agent credentials at all (PUBLIC: sign-in, the chat
# widget, the portal, providers' signed callbacks, the API's own description).
TOKEN_SCOPES = ALL_SCOPES
SESSION, PUBLIC = "session", "public"
ACCESS = (*TOKEN_SCOPES, SESSION, PUBLIC)


@dataclass(frozen=True)
class Requires:
    """A route's declared access (see `requires`); as a dependency it notes the access on the request."""

    scope: str

    async def __call__(self, request: Request) -> None:
        """Note the route's scope, which `authenticate` checks against the bearer token's scopes."""
        # Async on purpose: a sync dependency would cost every request a hop to the thread pool.
        request.state.scope_needed = self.scope


def requires(scope: str) -> DependsParam:
    """The dependency every route declares: `dependencies=[requires("write")]` (or SESSION, PUBLIC).

    A token lacking the scope gets 403 before the route runs; a route that declares nothing refuses every token
    (and tests/security/test_route_scopes.py fails on it). The scope is documented in OpenAPI (`x-rapport-scope`
    and the operation's security requirement).
    """
    if scope not in ACCESS:
        raise ValueError(f"unknown scope {scope!r}; choose from {', '.join(ACCESS)}")
    return Depends(Requires(scope))


def declared_scope(route) -> str | None:
    """The access a route declares through `requires` (its own dependencies or its router's), else None."""
    for dep in getattr(route, "dependencies", None) or []:
        if isinstance(getattr(dep, "dependency", None), Requires):
            return dep.dependency.scope
    return None


@dataclass(frozen=True)
class Credentials:
    """What a request presents: a bearer token or a session cookie (with its CSRF header), and its method.

    `needs` is the scope the route declared (None when it declared none: then no token is accepted).
    """

    method: str
    bearer: str | None = None
    cookie: str | None = None
    csrf: str | None = None
    needs: str | None = None


def credentials(request: Request) -> Credentials:
    """Read the credentials off the request; Unauthorized when there are none."""
    needs = getattr(request.state, "scope_needed", None)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        return Credentials(request.method, bearer=value.strip(), needs=needs)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("Send a bearer API token, or sign in at /api/v1/session.")
    return Credentials(request.method, cookie=cookie, csrf=request.headers.get(CSRF_HEADER), needs=needs)


def check_scope(actor: Actor, needs: str | None) -> None:
    """Refuse a token whose scopes lack the one the route declared (403, naming it)."""
    scopes = actor.scopes or frozenset()
    if needs in TOKEN_SCOPES and needs in scopes:
        return
    held = ", ".join(sorted(scopes)) or "none"
    if needs in TOKEN_SCOPES:
        raise Forbidden(f"This route needs an API token with the '{needs}' scope; this token has: {held}.", scope=needs)
    if needs == SESSION:
        raise Forbidden("This route takes a signed-in browser session, not an API token.", scope=needs)
    raise Forbidden("This route accepts no API token.", scope=needs)


def authenticate(session: Session, creds: Credentials) -> tuple[Actor, int | None]:
    """The actor behind the credentials, and the browser session's id when it came from a cookie."""
    if creds.bearer is not None:
        actor, token = auth.from_token(session, creds.bearer)
        check_scope(actor, creds.needs)
        if creds.method not in SAFE_METHODS and auth.needs_touch(token):
            auth.touch(session, token)
        return actor, None
    actor, row = auth.from_session(session, creds.cookie or "")
    if creds.method not in SAFE_METHODS and creds.csrf != row.csrf_token:
        raise Forbidden("The CSRF token is missing or wrong; reload the page and try again.")
    return actor, row.id


def client_address(request: Request) -> str:
    """The connecting address (behind a proxy, what its forwarded headers gave uvicorn): limits count by it."""
    return request.client.host if request.client else "unknown"


def database(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db


class _Turns:
    """One event loop's queues for database sessions: any session, and on SQLite the writer's turn."""

    def __init__(self, sessions: int):
        self.sessions = asyncio.Semaphore(sessions)
        self.writer = asyncio.Lock()


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = weakref.WeakKeyDictionary()


def _turns() -> _Turns:
    loop = asyncio.get_running_loop()
    turns = _TURNS.get(loop)
    if turns is None:
        turns = _TURNS[loop] = _Turns(get_settings().request_sessions)
    return turns


async def session_turn(request: Request) -> AsyncIterator[None]:
    """A request's turn to hold a database session, waited for on the event loop rather than on a thread.

    A request holds its session (a pooled connection; on SQLite a write also holds the writer lock) from its first
    dependency to its commit, and its later sync steps (the acting agent, a sync route) need a thread of the pool.
    Were requests to wait for a connection or the lock on pool threads, enough of them would leave the holders
    none: on SQLite the process would stop for good, on PostgreSQL requests would fail when the connection pool's
    timeout ran out. So a process opens at most RAPPORT_REQUEST_SESSIONS sessions at once (fewer than the thread
    pool's 40 threads), and on SQLite one writer, which SQLite allows anyway.
    """
    turns = _turns()
    if request.method in SAFE_METHODS or not request.app.state.db.is_sqlite:
        async with turns.sessions:
            yield
        return
    async with turns.writer, turns.sessions:
        yield


def db_session(request: Request, _turn: Annotated[None, Depends(session_turn, scope="function")]) -> Iterator[Session]:
    """One transaction per request: a write transaction for unsafe methods, a read one otherwise."""
    db: Database = request.app.state.db
    if request.method in SAFE_METHODS:
        with db.read() as session:
            yield session
    else:
        with db.write() as session:
            yield session


def current_actor(request: Request, session: Annotated[Session, Depends(db_session, scope="function")]) -> Actor:
    """The agent behind the bearer token or the session cookie (with its CSRF header on writes)."""
    actor, session_id = authenticate(session, credentials(request))
    if session_id is not None:
        request.state.agent_session_id = session_id
    return actor


async def read(request: Request, work: Callable[[Session, Actor], T]) -> T:
    """Run `work(session, actor)` in one read transaction on one worker thread.

    The hot read routes use this instead of the DB/Me dependencies: each sync dependency costs a hop to the
    thread pool and back, and under load those hops (and the GIL contention between them) cost more than
    the query itself.
    """
    creds = credentials(request)
    db: Database = request.app.state.db

    def run() -> T:
        with db.read() as session:
            return work(session, authenticate(session, creds)[0])

    if db.is_sqlite:
        return run()
    async with _turns().sessions:  # see session_turn
        return await run_in_threadpool(run)


# scope="function": commit happens before the response is sent, so a failed commit is an error response.
DB = Annotated[Session, Depends(db_session, scope="function")]
Me = Annotated[Actor, Depends(current_actor)]
