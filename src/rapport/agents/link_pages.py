"""The two pages every password link has (an admin's sign-in link, a forgotten-password link): the form, and
what sending it does. Each link's views say which link and template; the steps are the same."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from sqlalchemy.orm import Session

from rapport.agents.cookies import signed_in
from rapport.kit.problems import Invalid
from rapport.models import Agent, AgentSession
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import redirect, render

Find = Callable[[Session, str], Agent]
Accept = Callable[[Session, str, str], tuple[AgentSession, str]]


def form(request: Request, session: Session, token: str, *, find: Find, template: str):
    """The form to choose a password (nothing changes until it is sent); 410 when the link does not work."""
    try:
        agent = find(session, token)
    except Invalid as problem:
        return render(request, template, status=410, agent=None, invalid=problem.detail, errors={})
    return render(request, template, agent=agent, token=token, errors={}, focus="password")


def submit(request: Request, session: Session, token: str, password: str, *, find: Find, accept: Accept,
           template: str, done: str):  # fmt: skip
    """Set the password and sign in (the link is spent); the form again with the reason when it is refused."""
    try:
        row, plain = accept(session, token, password)
    except FORM_PROBLEMS as problem:
        refused(session)
        try:
            agent = find(session, token)
        except Invalid as gone:
            return render(request, template, status=410, agent=None, invalid=gone.detail, errors={})
        return render(request, template, status=422, agent=agent, token=token, errors=field_errors(problem),
                      focus="password")  # fmt: skip
    return signed_in(redirect("/", done), plain)
