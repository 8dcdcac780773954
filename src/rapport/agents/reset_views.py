"""The "forgot password" pages: ask for a link by email, then choose a new password through it (agents/reset.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from rapport.agents import reset
from rapport.agents.cookies import signed_in
from rapport.kit.problems import Invalid, TooManyRequests
from rapport.web.deps import DB, client_address
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import WorkspaceRoute, redirect, render

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
    try:
        agent = reset.agent_for(session, token)
    except Invalid as problem:
        return render(request, "agents/reset_password.html", status=410, agent=None, invalid=problem.detail, errors={})
    return render(request, "agents/reset_password.html", agent=agent, token=token, errors={}, focus="password")


@router.post("/reset-password/{token}")
def choose_password(request: Request, session: DB, token: str, password: Short = ""):
    """Set the new password, end every other session and sign in; the link is spent."""
    try:
        row, plain = reset.accept(session, token, password)
    except FORM_PROBLEMS as problem:
        refused(session)
        try:
            agent = reset.agent_for(session, token)
        except Invalid as gone:
            return render(request, "agents/reset_password.html", status=410, agent=None, invalid=gone.detail,
                          errors={})  # fmt: skip
        return render(request, "agents/reset_password.html", status=422, agent=agent, token=token,
                      errors=field_errors(problem), focus="password")  # fmt: skip
    return signed_in(redirect("/", "Your new password is set; every other session was signed out."), plain)
