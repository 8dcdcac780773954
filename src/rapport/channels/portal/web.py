"""Portal page plumbing: templates, HTML error pages, CSRF tokens and the security headers every page gets."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from pathlib import Path

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from rapport.config import get_settings
from rapport.kit.problems import Forbidden, NotFound, Problem, Unauthorized

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "web" / "templates")
SESSION_COOKIE = "rapport_portal_session"
CSRF_COOKIE = "rapport_portal_csrf"
CSRF_FIELD = "csrf_token"
# No script runs on these pages at all; styles come only from our own stylesheet.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class PortalRoute(APIRoute):
    """Renders problems as HTML pages (not problem+json) and adds the security headers to every response."""

    def get_route_handler(self) -> Callable:
        """Wrap FastAPI's handler."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except Unauthorized:
                response = RedirectResponse("/portal/sign-in", status_code=303)
            except Problem as problem:
                response = error_page(request, problem)
            except RequestValidationError:
                response = error_page(request, NotFound("There is no such page."))
            return secure(response)

        return handler


def secure(response: Response) -> Response:
    """The headers every portal response carries."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Sign-in links carry their token in the URL: never send it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """A page, with the anonymous CSRF cookie set if the browser has none yet."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    context.setdefault("csrf_token", token)
    context.setdefault("signed_in", False)
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    if not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/portal"
        )
    return response


def error_page(request: Request, problem: Problem) -> HTMLResponse:
    """A problem as a readable page with its status."""
    return render(request, "portal/error.html", status=problem.status, title=problem.title, detail=problem.detail)


def check_form_token(request: Request, submitted: str) -> None:
    """The anonymous form's hidden token must equal its cookie (double submit)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise Forbidden("This form's security token is missing or out of date; reload the page and send it again.")


def check_session_token(expected: str, submitted: str) -> None:
    """A signed-in form's hidden token must equal the session's CSRF token."""
    if not submitted or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise Forbidden("This form's security token is missing or out of date; reload the page and send it again.")


def client_ip(request: Request) -> str:
    """The connecting address (the rate limit's key)."""
    return request.client.host if request.client else "unknown"
