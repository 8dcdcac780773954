"""Workspace pages of the agents domain: sign in (also by an admin's sign-in link), sign out (here or everywhere),
profile, availability and one's own password; the admin pages for agents, teams and API tokens are in admin_views
and token_views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from rapport.agents import (
    admin_views,
    auth,
    invite,
    link_pages,
    repository,
    reset_views,
    service,
    signin,
    token_views,
)
from rapport.agents.cookies import signed_in
from rapport.agents.signin import LockedOut
from rapport.config import get_settings
from rapport.kit.problems import Invalid, Unauthorized
from rapport.web.deps import DB, SESSION_COOKIE, client_address
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render, viewer_for

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
router.include_router(admin_views.router)
router.include_router(token_views.router)
router.include_router(reset_views.router)
Short = Annotated[str, Form(max_length=320)]
AVAILABILITY = ("online", "away", "offline")


def _safe_next(target: str) -> str:
    # Only paths on this site: never an absolute or protocol-relative URL (an open redirect).
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/sign-in")
def sign_in_page(request: Request, session: DB, next: str = "/"):
    """The sign-in form (signed-in agents go straight on)."""
    try:
        viewer_for(session, request.cookies.get(SESSION_COOKIE))
        return redirect(_safe_next(next))
    except Unauthorized:
        return render(request, "agents/sign_in.html", next=_safe_next(next), email="", error=None)


@router.post("/sign-in")
def sign_in(request: Request, session: DB, email: Short = "", password: Short = "", next: Short = "/"):
    """Check the password; a failure re-shows the form with the reason (and still counts toward the limit)."""
    try:
        row, plain = signin.sign_in(session, email, password, ip=client_address(request))
    except (Unauthorized, LockedOut) as problem:
        page = render(
            request, "agents/sign_in.html", status=problem.status, next=_safe_next(next), email=email,
            error=problem.detail,
        )  # fmt: skip
        if problem.extra.get("retry_after"):
            page.headers["Retry-After"] = str(problem.extra["retry_after"])
        return page
    return signed_in(redirect(_safe_next(next)), plain)


@router.get("/welcome/{token}")
def welcome(request: Request, session: DB, token: str):
    """A sign-in link from an admin: the form to choose a password (nothing changes until it is sent)."""
    return link_pages.form(request, session, token, find=invite.agent_for, template="agents/welcome.html")


@router.post("/welcome/{token}")
def choose_password(request: Request, session: DB, token: str, password: Short = ""):
    """Set the chosen password and sign in; the link is spent."""
    return link_pages.submit(
        request, session, token, password, find=invite.agent_for, accept=invite.accept,
        template="agents/welcome.html", done="Welcome to Rapport: your password is set.",
    )  # fmt: skip


@router.post("/sign-out")
def sign_out(session: DB, viewer: Page, everywhere: Annotated[bool, Form()] = False):
    """End this browser session, or every session of the agent."""
    auth.sign_out(session, viewer.actor, viewer.session_id, everywhere=everywhere)
    response = redirect("/sign-in", "Signed out everywhere." if everywhere else "Signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/profile")
def profile(request: Request, session: DB, viewer: Page):
    """The agent's profile: availability, timezone, email signature, password, sign out everywhere."""
    return _profile(request, session, viewer)


def _profile(request: Request, session, viewer, *, status: int = 200, errors=None, signature: str | None = None):
    # The signature as typed when it was refused, else as stored.
    if signature is None:
        signature = repository.get(session, viewer.id).signature or ""
    return render(
        request, "agents/profile.html", viewer, status=status, availability=AVAILABILITY, errors=errors or {},
        signature=signature, signature_limit=get_settings().max_signature_chars,
    )  # fmt: skip


@router.post("/profile")
def save_profile(
    request: Request,
    session: DB,
    viewer: Page,
    availability: Annotated[str, Form(max_length=16)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
):
    """Change availability and timezone; a wrong value is named next to its field."""
    try:
        service.set_presence(session, viewer.actor, availability=availability, timezone=timezone)
    except Invalid as problem:
        field = (problem.extra.get("errors") or [{"field": "availability"}])[0]["field"]
        errors = {field: problem.detail}
        return _profile(request, session, viewer, status=422, errors=errors)
    return redirect("/profile", "Profile saved.")


@router.post("/profile/signature")
def save_signature(
    request: Request,
    session: DB,
    viewer: Page,
    signature: Annotated[str, Form(max_length=20_000)] = "",
):
    """Save your email signature (empty removes it); one over RAPPORT_MAX_SIGNATURE_CHARS is shown with the reason."""
    try:
        service.set_signature(session, viewer.actor, signature)
    except FORM_PROBLEMS as problem:
        refused(session)
        return _profile(request, session, viewer, status=422, errors=field_errors(problem), signature=signature)
    return redirect("/profile#signature", "Signature saved." if signature.strip() else "Signature removed.")


@router.post("/profile/password")
def change_password(
    request: Request,
    session: DB,
    viewer: Page,
    current_password: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
):
    """Change your own password (the current one first); every other session of yours ends."""
    try:
        service.update_agent(
            session,
            viewer.actor,
            viewer.id,
            password=password,
            current_password=current_password,
            keep_session_id=viewer.session_id,
            client=client_address(request),
        )
    except FORM_PROBLEMS + (LockedOut,) as problem:
        if not isinstance(problem, (signin.WrongPassword, LockedOut)):  # a wrong password is kept: it counts
            refused(session)
        errors = field_errors(problem)
        status = problem.status if isinstance(problem, LockedOut) else 422
        return _profile(request, session, viewer, status=status, errors=errors)
    return redirect("/profile", "Password changed; your other sessions ended.")
