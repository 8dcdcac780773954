"""The hottest GET routes served without the framework's per-request machinery, by their own endpoint functions.

An inbox list and a conversation open are most of what agents' tools ask for. Routing through every middleware,
the router's match loop and FastAPI's per-parameter dependency solving held the GIL for about a third of such a
request's Python samples (PostgreSQL, concurrency 16); without them a process spent 8-15% less CPU per request.

A lean route keeps its FastAPI route, which documents it (OpenAPI) and serves it when this is switched off
(RAPPORT_LEAN_READS=false). This middleware matches the same path, validates the query string with the same
Pydantic model the route declares, and awaits the same endpoint function, so the two paths cannot drift apart:
only who parses the query differs, and `tests/web/test_lean.py` holds their answers equal.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from rapport.kit.problems import Problem
from rapport.kit.schema import MAX_INT
from rapport.web.errors import problem_response, validation_problem


@dataclass(frozen=True)
class LeanRoute:
    """A GET path (a regex whose groups are the path's integer ids), its endpoint and the model of its query.

    The endpoint is called as `endpoint(request, *ids, query)` and returns a Response.
    """

    pattern: re.Pattern
    endpoint: Callable[..., Awaitable[Response]]
    query: type[BaseModel]
    lists: frozenset[str] = field(init=False)

    def __post_init__(self):
        lists = frozenset(name for name, f in self.query.model_fields.items() if _is_list(f.annotation))
        object.__setattr__(self, "lists", lists)

    def parse(self, raw: bytes) -> BaseModel:
        """The query string validated as FastAPI would: repeated keys for list fields, the last value otherwise."""
        values: dict[str, typing.Any] = {}
        for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            if key in self.lists:
                values.setdefault(key, []).append(value)
            else:
                values[key] = value
        try:
            return self.query.model_validate(values)
        except ValidationError as exc:
            raise validation_problem([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None


def _is_list(annotation) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    return any(typing.get_origin(arg) is list for arg in typing.get_args(annotation))


def _ids(match: re.Match) -> list[int]:
    """The path's ids, bounded as the route's `Id` parameters are (an id beyond 64 bits is a 422, not an overflow)."""
    ids = [int(g) for g in match.groups()]
    bad = [i for i in ids if not 1 <= i <= MAX_INT]
    if bad:
        raise validation_problem(
            [{"type": "less_than_equal", "loc": ("path", "id"), "msg": f"Input should be between 1 and {MAX_INT}"}]
        )
    return ids


class LeanReads:
    """ASGI middleware answering the `routes` it is given (GET only) itself, and handing everything else on."""

    def __init__(self, app, routes: list[LeanRoute], scopes: dict[Callable, str | None] | None = None):
        self.app, self.routes = app, routes
        # The scope each endpoint's FastAPI route declares (web.deps.requires): checked here as it is there.
        self.scopes = scopes or {}

    async def __call__(self, scope, receive, send):  # noqa: D102
        if scope["type"] == "http" and scope["method"] == "GET":
            path = scope["path"]
            for route in self.routes:
                match = route.pattern.fullmatch(path)
                if match is not None:
                    scope.setdefault("state", {})["scope_needed"] = self.scopes.get(route.endpoint)
                    return await self._serve(route, match, scope, receive, send)
        return await self.app(scope, receive, send)

    @staticmethod
    async def _serve(route: LeanRoute, match: re.Match, scope, receive, send) -> None:
        request = Request(scope, receive)
        try:
            query = route.parse(scope.get("query_string", b""))
            response = await route.endpoint(request, *_ids(match), query)
        except Problem as problem:
            response = problem_response(request, problem)
        await response(scope, receive, send)
