"""The API's OpenAPI document, completed in one place: each operation's scope and its problem+json responses.

FastAPI describes parameters and success bodies; this adds what every route really does besides: the scope it
declares (`x-rapport-scope` and a security requirement), and the RFC 9457 problems the app's one error handler
answers with (validation 422, missing or wrong credentials 401/403, unknown ids 404, clashes 409, bodies over
RAPPORT_MAX_BODY_BYTES 413, limits 429), replacing FastAPI's default validation error shape, which Rapport never
sends.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

from rapport.events import registry as events
from rapport.kit.schema import MAX_INT, MIN_INT
from rapport.web.deps import SESSION, SESSION_COOKIE, TOKEN_SCOPES, declared_scope

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong, in words a person can act on.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}
PROBLEMS = {
    "400": "The request could not be read (a body that is not JSON, a bad header)",
    "401": "No valid credentials",
    "403": "The token's scope or the agent's role does not allow this",
    "404": "No such resource (or the caller may not see it)",
    "405": "The path exists but not with this method",
    "409": "The change clashes with the current state or existing data",
    "413": "The body is larger than RAPPORT_MAX_BODY_BYTES, or a file over its limit",
    "422": "Invalid input; `errors` names each field",
    "429": "A rate limit was hit; the detail names the setting",
}
_DROPPED_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _security(scope: str) -> list[dict]:
    if scope in TOKEN_SCOPES:
        return [{"bearerToken": [scope]}, {"sessionCookie": []}]
    if scope == SESSION:
        return [{"sessionCookie": []}]
    return []


NO_NUL = "^[^\\x00]*$"


def _integer(node: dict, settings: Any) -> None:
    """Exact integer bounds: FastAPI's document model turns them into floats (2**63 - 1 becomes 2.0**63, one past
    what the API accepts); a bound named after a setting (`x-rapport-maximum`) takes the configured value."""
    if (setting := node.get("x-rapport-maximum")) and settings is not None:
        node["maximum"] = getattr(settings, setting)
    low, high = node.get("minimum", MIN_INT), node.get("maximum", MAX_INT)
    node["minimum"] = max(MIN_INT, math.ceil(low))
    node["maximum"] = min(MAX_INT, math.floor(high))


def _enums() -> dict[str, list[str]]:
    """Names whose list lives in a registry filled at start-up, for `x-rapport-enum`."""
    return {"event_types": ["*", *sorted(events.names(public=True))]}


def _filled(node: dict) -> None:
    """A body string whose length bounds count once `kit.schema.In` has stripped its whitespace: the bounds move
    into the pattern (surrounding whitespace is accepted and not counted)."""
    low, high = node.pop("minLength"), node.pop("maxLength", None)
    if high is not None and high < 2:
        node["pattern"] = "^\\s*[^\\s\\x00]\\s*$"
        return
    inner = f"{{{max(low - 2, 0)},{'' if high is None else high - 2}}}"
    middle = f"[^\\x00]{inner}[^\\s\\x00]"
    node["pattern"] = f"^\\s*[^\\s\\x00]({middle}){'?' if low <= 1 else ''}\\s*$"


def _bound(node: Any, settings: Any = None, body: bool = False) -> None:
    """Say in the document what kit.schema enforces on every input: strings without NUL (in a body, with their
    whitespace stripped before a minimum length counts), 64-bit integers, registry names."""
    if isinstance(node, dict):
        if (name := node.get("x-rapport-enum")) is not None:
            node["enum"] = _enums()[name]
        if node.get("type") == "string" and "pattern" not in node and "format" not in node and "enum" not in node:
            if body and node.get("minLength"):
                _filled(node)
            else:
                node["pattern"] = NO_NUL
        elif node.get("type") == "integer":
            _integer(node, settings)
        for value in node.values():
            _bound(value, settings, body)
    elif isinstance(node, list):
        for value in node:
            _bound(value, settings, body)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _bound_inputs(doc: dict, settings: Any) -> None:
    """Bound what requests carry (parameters, bodies and the schemas they use), never what responses say."""
    schemas = doc.get("components", {}).get("schemas", {})
    operations = [op for item in doc.get("paths", {}).values() for op in item.values() if isinstance(op, dict)]
    for part, body in (("parameters", False), ("requestBody", True)):
        inputs = [op.get(part) for op in operations]
        names, todo = set(), _refs(inputs)
        while todo:
            name = todo.pop()
            if name not in names and name in schemas:
                names.add(name)
                todo |= _refs(schemas[name])
        _bound(inputs, settings, body)
        for name in names:
            _bound(schemas[name], settings, body)


def document(app: FastAPI) -> dict:
    """The app's OpenAPI document with scopes and problem responses (built once, then cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, servers=app.servers
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _DROPPED_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {
        "bearerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token; each operation names the scope it needs (x-rapport-scope).",
        },
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
    }
    for route in iter_route_contexts(app.routes):
        if not getattr(route, "include_in_schema", False) or route.path_format not in doc.get("paths", {}):
            continue
        scope = declared_scope(route)
        for method in route.methods or ():
            operation = doc["paths"][route.path_format].get(method.lower())
            if operation is None:
                continue
            operation["x-rapport-scope"] = scope
            operation["security"] = _security(scope) if scope else []
            responses = operation.setdefault("responses", {})
            for status, description in PROBLEMS.items():
                # (public routes too: a chat visitor's token, a provider's signature, a wrong password)
                responses[status] = _problem(description)
    _bound_inputs(doc, getattr(app.state, "settings", None))
    app.openapi_schema = doc
    return doc
