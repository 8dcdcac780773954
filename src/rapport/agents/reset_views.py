"""The "forgot password" pages: ask for a link by email, then choose a new password through it (agents/reset.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from rapport.agents import link_pages, reset
from rapport.kit.problems import Invalid, TooManyRequests
from rapport.web.deps import DB, client_address
from rapport.web.forms import refused
from rapport.web.pages import WorkspaceRoute, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
Short = Annotated[str, Form(max_length=320)]


@router.get("/forgot-password")
def forgot_password(request: Request, email: str = ""):
    """The form asking for the address to send a password link to."""
    return render(request, "agents/forgot_password.html", email=email[:320], sent=None, error=None)


@router.post("/forgot-password")
def send_link(request: Request, session: DB, email: Short = ""):
    """Mail a password link when the address is an agent's; the same answer whatever the address."""
    try:
        sent = reset.request(session, email, client=f"ip:{client_address(request)}")
    except (Invalid, TooManyRequests) as problem:
        refused(session)
        page = render(
            request, "agents/forgot_password.html", status=problem.status, email=email, sent=None, error=problem.detail
        )
        if problem.extra.get("retry_after"):
            page.headers["Retry-After"] = str(problem.extra["retry_after"])
        return page
    return render(request, "agents/forgot_password.html", email=email, sent=sent, error=None)


@router.get("/reset-password/{token}")
def reset_form(request: Request, session: DB, token: str):
    """The form to choose a new password (nothing changes until it is sent)."""
    return link_pages.form(request, session, token, find=reset.agent_for, template="agents/reset_password.html")


@router.post("/reset-password/{token}")
def choose_password(request: Request, session: DB, token: str, password: Short = ""):
    """Set the new password, end every other session and sign in; the link is spent."""
    return link_pages.submit(
        request, session, token, password, find=reset.agent_for, accept=reset.accept,
        template="agents/reset_password.html", done="Your new password is set; every other session was signed out.",
    )  # fmt: skip
