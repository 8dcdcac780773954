"""FastAPI dependencies: the request's transaction and the acting agent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from rapport.agents import auth
from rapport.agents.permissions import Actor
from rapport.db.session import Database
from rapport.kit.problems import Forbidden, Unauthorized

SESSION_COOKIE = "rapport_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def database(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db


def db_session(request: Request) -> Iterator[Session]:
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
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        actor, token = auth.from_token(session, value.strip())
        if request.method not in SAFE_METHODS and auth.needs_touch(token):
            auth.touch(session, token.id)
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("Send a bearer API token, or sign in at /api/v1/session.")
    actor, row = auth.from_session(session, cookie)
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != row.csrf_token:
        raise Forbidden("The CSRF token is missing or wrong; reload the page and try again.")
    request.state.agent_session_id = row.id
    return actor


# scope="function": commit happens before the response is sent, so a failed commit is an error response.
DB = Annotated[Session, Depends(db_session, scope="function")]
Me = Annotated[Actor, Depends(current_actor)]
