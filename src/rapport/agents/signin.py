"""Password sign-in for the workspace, with the per-address limit on failed attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.agents import auth, repository
from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import Problem, Unauthorized
from rapport.models import AgentSession, LoginAttempt


class LockedOut(Problem):
    """Too many failed sign-ins for one address."""

    status = 429
    title = "Too many sign-in attempts"
    slug = "locked-out"


def sign_in(session: Session, email: str, password: str, *, ip: str) -> tuple[AgentSession, str]:
    """Open a browser session, unless the address is locked out; every attempt is recorded.

    The caller must commit even when this raises Unauthorized, so the failure counts (the view returns the
    sign-in page with the error instead of raising).
    """
    settings = get_settings()
    email = email.strip().lower()
    since = now() - timedelta(minutes=settings.login_lockout_minutes)
    if repository.failed_sign_ins(session, email, since) >= settings.login_max_attempts:
        raise LockedOut(
            f"Too many failed sign-ins for {email}: wait {settings.login_lockout_minutes} minutes and try again "
            f"(RAPPORT_LOGIN_MAX_ATTEMPTS={settings.login_max_attempts} per "
            f"RAPPORT_LOGIN_LOCKOUT_MINUTES={settings.login_lockout_minutes})."
        )
    attempt = LoginAttempt(email=email, ip=ip[:64], succeeded=False, attempted_at=now())
    session.add(attempt)
    try:
        row, plain = auth.sign_in(session, email, password)
    except Unauthorized:
        session.flush()
        raise
    attempt.succeeded = True
    return row, plain
