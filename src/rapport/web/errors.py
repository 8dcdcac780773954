"""One place that renders every error as RFC 9457 application/problem+json."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from rapport.kit.problems import BadRequest, Conflict, Invalid, NotFound, Problem

PROBLEM = "application/problem+json"


def problem_response(request: Request, problem: Problem, headers: dict | None = None) -> JSONResponse:
    """A problem+json response for `problem` (with Retry-After when the problem says how long to wait)."""
    if problem.extra.get("retry_after") is not None:
        headers = {"Retry-After": str(problem.extra["retry_after"]), **(headers or {})}
    return JSONResponse(
        problem.to_dict(request.url.path), status_code=problem.status, media_type=PROBLEM, headers=headers
    )


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _error(e: dict) -> dict:
    """One field's error; a kind that picks none of a union's shapes is an error of that kind field, not the whole."""
    if e["type"] == "union_tag_invalid":
        ctx = e.get("ctx", {})
        tags = ", ".join(re.findall(r"'([^']+)'>?(?:,|$)", str(ctx.get("expected_tags", ""))))
        key = str(ctx.get("discriminator", "")).strip("'")
        return {"field": f"{_field(e['loc'])}.{key}", "message": f"Input should be one of {tags}", "type": e["type"]}
    return {"field": _field(e["loc"]), "message": e["msg"], "type": e["type"]}


def validation_problem(errs: list[dict]) -> Problem:
    """The problem for a list of Pydantic errors: 400 for JSON that does not parse, else 422 naming each field."""
    if any(e.get("type") == "json_invalid" for e in errs):
        pos = next((e.get("ctx", {}).get("error") for e in errs if e.get("type") == "json_invalid"), "")
        return BadRequest(f"The request body is not valid JSON ({pos}).")
    errors = [_error(e) for e in errs]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return Invalid(f"The request has invalid fields: {detail}.", errors=errors)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette's 405 names only the first route that matched it)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.path and compile_path(route.path)[0].match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Register the handlers."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        retry = exc.extra.get("retry_after")
        return problem_response(request, exc, headers={"Retry-After": str(retry)} if retry else None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return problem_response(request, validation_problem(exc.errors()))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError):
        return problem_response(
            request,
            Conflict(
                "The change clashes with existing data (a duplicate or a missing reference); nothing was written."
            ),
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if exc.status_code == 404:
            problem: Problem = NotFound(f"No route {request.method} {request.url.path}.")
        else:
            problem = Problem(str(exc.detail))
            problem.status, problem.title, problem.slug = exc.status_code, str(exc.detail), "http"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(request, problem, headers=headers or None)
