"""Every route declares the token scope it needs, and a token lacking that scope is refused with 403.

ISSUE13 item 4: a token with only the `inbound` (or `read`) scope could change its own agent's password and name.
The scope is now part of each route's declaration (`web.deps.requires`), so a route added without one fails here.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from rapport.agents import service as agents
from rapport.kernel.permissions import SYSTEM
from rapport.web.deps import ACCESS, PUBLIC, SESSION, TOKEN_SCOPES, declared_scope
from tests.conftest import World

STREAMS = {("GET", "/api/v1/live"), ("GET", "/chat/api/{key}/stream")}  # answer forever once allowed
BODIES = {  # a valid body where the route validates it before it authenticates
    ("POST", "/api/v1/messages/inbound"): lambda w: {
        "inbox_id": w.api_inbox.id,
        "sender": {"kind": "email", "address": "jo@customer.test"},
        "text": "Hello",
    },
}


def _routes(app):
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, route


def _url(path: str, world) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "k" if m.group(1) in ("key", "token") else str(world.api_inbox.id), path)


@pytest.fixture
def scoped(db, world) -> dict[str, str]:
    """One token per scope, each holding only that scope, all of the admin (so the role never decides)."""
    tokens = {}
    with db.write() as s:
        for scope in TOKEN_SCOPES:
            _, tokens[scope] = agents.create_token(s, SYSTEM, name=scope, scopes=[scope], agent_id=world.admin.id)
    return tokens


def test_every_route_declares_its_scope(app):
    undeclared = [f"{m} {r.path}" for m, r in _routes(app) if declared_scope(r) not in ACCESS]
    assert undeclared == [], f"routes without `dependencies=[requires(...)]`: {undeclared}"


def test_the_openapi_document_names_each_operations_scope(client):
    doc = client.get("/api/v1/openapi.json").json()
    missing = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            scope = op.get("x-rapport-scope")
            if scope not in ACCESS:
                missing.append(f"{method.upper()} {path}")
            elif scope in TOKEN_SCOPES:
                assert {"bearerToken": [scope]} in op["security"], (method, path)
    assert missing == []
    assert doc["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_a_token_lacking_the_routes_scope_is_refused(app, client, world, scoped):
    wrong: list[str] = []
    for method, route in _routes(app):
        need = declared_scope(route)
        if need not in TOKEN_SCOPES:
            continue
        url = _url(route.path_format, world)
        body = BODIES.get((method, route.path_format), lambda w: {})(world)
        for held, token in scoped.items():
            if held == need and (method, route.path_format) in STREAMS:
                continue
            kwargs = {"json": body} if method in ("POST", "PUT", "PATCH") else {}
            r = client.request(method, url, headers=World.auth(token), **kwargs)
            if r.status_code >= 500:
                wrong.append(f"{method} {route.path_format} with a '{held}' token: {r.status_code}")
            elif held != need and r.status_code != 403:
                wrong.append(f"{method} {route.path_format} needs '{need}'; a '{held}' token got {r.status_code}")
            elif held == need and (r.status_code == 401 or (r.status_code == 403 and "scope" in r.json())):
                # (a 403 naming a `permission` is the service's own rule, e.g. another agent's profile)
                wrong.append(
                    f"{method} {route.path_format} needs '{need}'; a '{held}' token got {r.status_code}: {r.text}"
                )
    assert wrong == [], "\n".join(wrong)


def test_workspace_pages_and_session_routes_take_no_token(app, client, world, scoped):
    """A page or session route answers a bearer token as it answers nobody (or refuses it): the token opens nothing."""
    wrong = []
    for method, route in _routes(app):
        if declared_scope(route) != SESSION:
            continue
        url = _url(route.path_format, world)
        anonymous = client.request(method, url, follow_redirects=False)
        for held, token in scoped.items():
            r = client.request(method, url, headers=World.auth(token), follow_redirects=False)
            if r.status_code not in (anonymous.status_code, 403):
                wrong.append(f"{method} {route.path_format} with a '{held}' token: {r.status_code}")
    assert wrong == [], "\n".join(wrong)


def test_an_inbound_token_cannot_change_its_agent(client, world, scoped):
    """The reported bypass: an inbound-only (or read-only) token renamed its agent and set a new password."""
    for held in ("inbound", "read"):
        r = client.patch(
            f"/api/v1/agents/{world.admin.id}",
            json={"name": "Mallory", "password": "a new password 123"},
            headers=World.auth(scoped[held]),
        )
        assert r.status_code == 403, r.text
        assert r.json()["scope"] == "write"


def test_public_routes_declare_so(app):
    public = {r.path for _, r in _routes(app) if declared_scope(r) == PUBLIC}
    assert {"/api/v1/session", "/healthz", "/api/v1/openapi.json", "/portal/sign-in"} <= public
