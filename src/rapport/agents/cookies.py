"""The browser session cookie, set in one place for every way of signing in (form, admin's link, password link)."""

from __future__ import annotations

from rapport.config import get_settings
from rapport.web.deps import SESSION_COOKIE


def signed_in(response, plain: str):
    """`response` with the new session's cookie set."""
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        plain,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response
