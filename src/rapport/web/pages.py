"""Workspace page plumbing: templates, the navigation registry, the signed-in viewer, CSRF, errors, headers.

Each domain declares its page routers and menu entries in its `domain.py` (`rapport.kernel.registry`);
nothing here lists the domains, so a new one adds its pages without touching the others.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from rapport.agents import auth
from rapport.agents import repository as agents
from rapport.kernel import registry
from rapport.kernel.permissions import Actor
from rapport.kernel.registry import NavEntry
from rapport.kit.clock import now, zone_or_utc
from rapport.kit.problems import Forbidden, Invalid, NotFound, Problem, Unauthorized
from rapport.models.enums import Priority, Status
from rapport.web import icons
from rapport.web.deps import CSRF_HEADER, DB, SAFE_METHODS, SESSION, SESSION_COOKIE, requires

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.autoescape = True  # every template, whatever its name
# Templates ship with the package: no stat() of every template, include and import on every render to see whether
# it changed (a tenth of an inbox page's time). A developer editing templates restarts, as for any code change.
TEMPLATES.env.auto_reload = False
CSRF_FIELD = "csrf_token"
FLASH_COOKIE = "rapport_flash"
# Scripts and styles only from our own files: no inline script, no eval, no third-party origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def nav_for(actor: Actor, section: str = "main") -> list[NavEntry]:
    """The menu entries of `section` (from every domain's declaration) this agent may see, in order."""
    allowed = (
        e
        for e in registry.navigation()
        if e.section == section and actor.can(e.permission) and (e.visible is None or e.visible())
    )
    return sorted(allowed, key=lambda e: (e.order, e.label))


@dataclass(frozen=True)
class Viewer:
    """The signed-in agent a page is for: who, their timezone and availability, and the session's CSRF token."""

    actor: Actor
    email: str
    timezone: str
    availability: str
    csrf: str
    session_id: int

    @property
    def id(self) -> int:
        """The agent's id."""
        return self.actor.id


def viewer_for(session: Session, cookie: str | None) -> Viewer:
    """The viewer behind a session cookie; Unauthorized when there is none or it ended."""
    if not cookie:
        raise Unauthorized("Sign in to use the workspace.")
    actor, row = auth.from_session(session, cookie)
    agent = agents.get(session, actor.id)
    return Viewer(actor, agent.email, agent.timezone or "UTC", agent.availability, row.csrf_token, row.id)


async def submitted_csrf(request: Request) -> str:
    """The CSRF token a write presents: the htmx/fetch header, or the form's hidden field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/")):
        form = await request.form()  # Starlette keeps the parsed form, so the route's Form() fields still work
        return str(form.get(CSRF_FIELD) or "")
    return ""


def check_origin(request: Request) -> None:
    """A write whose Origin header names another site is refused, whatever else it carries."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin != expected:
            raise Forbidden("This form was sent from another site; Rapport refuses cross-site writes.")
    elif origin == "null":
        raise Forbidden("This form was sent from an opaque origin; Rapport refuses cross-site writes.")


def check_csrf(viewer: Viewer, submitted: str) -> None:
    """The submitted token must equal the session's."""
    if not submitted or not hmac.compare_digest(viewer.csrf.encode(), submitted.encode()):
        raise Forbidden("This form's security token is missing or out of date; reload the page and try again.")


def is_htmx(request: Request) -> bool:
    """True for a partial-page request made by htmx."""
    return request.headers.get("hx-request") == "true"


class WorkspaceRoute(APIRoute):
    """Sends signed-out visitors to sign in, renders problems as HTML, and adds the security headers."""

    def __init__(self, path: str, endpoint: Callable, **kwargs):
        # Workspace pages read the session cookie only: declared as such, so no bearer token ever opens one.
        kwargs["dependencies"] = [*(kwargs.get("dependencies") or []), requires(SESSION)]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable:
        """Wrap FastAPI's handler."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                if request.method not in SAFE_METHODS:
                    check_origin(request)
                response = await original(request)
            except Unauthorized:
                target = "/sign-in?next=" + quote(request.url.path if request.method == "GET" else "/")
                response = RedirectResponse(target, status_code=303)
                if is_htmx(request):
                    response = Response(status_code=401, headers={"HX-Redirect": target})
            except Problem as problem:
                response = error_page(request, problem)
            except RequestValidationError as exc:
                fields = ", ".join(str(e["loc"][-1]) for e in exc.errors()[:5])
                response = error_page(request, Invalid(f"Please check these fields: {fields}."))
            return secure(response)

        return handler


def secure(response: Response) -> Response:
    """The headers every workspace response carries (a download's own stricter policy, such as sandbox, stays too)."""
    own = response.headers.get("Content-Security-Policy")
    response.headers["Content-Security-Policy"] = CSP
    if own and own != CSP:
        response.headers.append("Content-Security-Policy", own)  # both apply: the browser enforces each
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def render(request: Request, template: str, viewer: Viewer | None = None, status: int = 200, **context) -> HTMLResponse:
    """A page or fragment for `viewer`, with the menu, CSRF token and any flash message from the last request."""
    flash = request.cookies.get(FLASH_COOKIE)
    context.update(
        viewer=viewer,
        menu=nav_for(viewer.actor) if viewer else [],
        admin_menu=nav_for(viewer.actor, "admin") if viewer else [],
        csrf_token=viewer.csrf if viewer else "",
        flash=flash,
        path=request.url.path,
    )
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def render_form(request: Request, template: str, viewer: Viewer, errors: dict | None = None, **context) -> HTMLResponse:
    """A form page: 422 with each error beside its field and the focus on the first one, else 200."""
    errors = errors or {}
    return render(
        request,
        template,
        viewer,
        status=422 if errors else 200,
        errors=errors,
        focus=next(iter(errors), None),
        **context,
    )


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """See Other to `url`, carrying a one-time notice for the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), max_age=60, httponly=True, samesite="lax", path="/")
    return response


def error_page(request: Request, problem: Problem) -> HTMLResponse:
    """A problem in plain words: a full page, or for htmx a notice swapped into the page's alert region."""
    context = {"title": problem.title, "detail": problem.detail}
    if is_htmx(request):
        response = TEMPLATES.TemplateResponse(request, "workspace/_error.html", context, status_code=problem.status)
        response.headers["HX-Retarget"] = "#alerts"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    if isinstance(problem, NotFound):
        context["title"] = "Not found"
    return TEMPLATES.TemplateResponse(request, "workspace/error.html", context, status_code=problem.status)


def local(value: datetime | None, tz: str | None) -> str:
    """A timestamp in the agent's timezone, e.g. '24 Nov 2026 14:05 CET'."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone_or_utc(tz)).strftime("%d %b %Y %H:%M %Z")


def ago(value: datetime | None) -> str:
    """How long ago, in words ('just now', '5 min ago', '3 h ago', '2 days ago')."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((now() - value).total_seconds())
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    days = round(seconds / 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def iso(value: datetime | None) -> str:
    """An ISO 8601 UTC timestamp for <time datetime=…>."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


TEMPLATES.env.filters.update(local=local, ago=ago, iso=iso)
TEMPLATES.env.globals["flash_text"] = lambda raw: unquote(raw)[:300]
# The choices a page offers come from the enums, so a new status or priority reaches every select.
TEMPLATES.env.globals.update(STATUSES=[s.value for s in Status], PRIORITIES=[p.value for p in Priority])
icons.install(TEMPLATES.env)


async def page_viewer(request: Request, session: DB) -> Viewer:
    """The signed-in viewer of a workspace page; writes must carry the session's CSRF token."""
    viewer = viewer_for(session, request.cookies.get(SESSION_COOKIE))
    if request.method not in SAFE_METHODS:
        check_csrf(viewer, await submitted_csrf(request))
    return viewer


Page = Annotated[Viewer, Depends(page_viewer)]
