"""Password sign-in for the workspace, with the per-address limit on failed attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.agents import auth
from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import Problem, Unauthorized
from rapport.models import AgentSession, LoginAttempt


class LockedOut(Problem):
    """Too many failed sign-ins for one address."""

    status = 429
    title = "Too many sign-in attempts"
    slug = "locked-out"


def failures(session: Session, email: str) -> int:
    """Failed attempts for this address within the lockout window."""
    since = now() - timedelta(minutes=get_settings().login_lockout_minutes)
    return session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since)
    )


def sign_in(session: Session, email: str, password: str, *, ip: str) -> tuple[AgentSession, str]:
    """Open a browser session, unless the address is locked out; every attempt is recorded.

    The caller must commit even when this raises Unauthorized, so the failure counts (the view returns the
    sign-in page with the error instead of raising).
    """
    settings = get_settings()
    email = email.strip().lower()
    if failures(session, email) >= settings.login_max_attempts:
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
