"""FastAPI compiles every included route again for each app; the suite builds an app per test from the same routes.

Compiling the ~550 routes (signatures, dependency trees, Pydantic adapters) took 0.3-0.5 s per app, most of the
time of a typical API or page test. A compiled route depends only on the route and how its router was included
(prefix, dependencies), so the tests compile each one once per process and every app reuses it. Production builds
one app per process and is untouched. The one thing a shared route does not follow is a later app's
`dependency_overrides`, which the tests never use (no mocks of our own code paths).
"""

from __future__ import annotations

import fastapi.routing

_compiled: dict[tuple, object] = {}


def share_compiled_routes() -> None:
    """Make FastAPI's per-inclusion route compilation a per-process cache (a no-op if FastAPI's internals moved)."""
    context = getattr(fastapi.routing, "_EffectiveRouteContext", None)
    build = getattr(context, "from_api_route", None)
    if build is None or getattr(build, "rapport_shared", False):
        return
    original = build.__func__

    def from_api_route(cls, *, original_route, include_context):
        key = (
            id(original_route),
            id(include_context.included_router),
            include_context.prefix,
            tuple(map(id, include_context.dependencies)),
        )
        compiled = _compiled.get(key)
        if compiled is None or compiled.original_route is not original_route:
            compiled = original(cls, original_route=original_route, include_context=include_context)
            _compiled[key] = compiled
        return compiled

    from_api_route.rapport_shared = True
    context.from_api_route = classmethod(from_api_route)
