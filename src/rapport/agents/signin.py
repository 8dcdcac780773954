"""Password sign-in, the one way in for the workspace form and the API alike, with its limits on failures.

Failures are counted per account (RAPPORT_LOGIN_MAX_ATTEMPTS) and per client address over every account
(RAPPORT_LOGIN_MAX_ATTEMPTS_PER_CLIENT, against spraying one password over many accounts), both within
RAPPORT_LOGIN_LOCKOUT_MINUTES. Known and unknown addresses are treated alike: each attempt is recorded and verifies
exactly one Argon2 hash, so neither the answer nor its time tells whether an account exists.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.agents import auth, repository
from rapport.config import get_settings
from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, Problem, Unauthorized
from rapport.kit.secrets import verify_password
from rapport.models import Agent, AgentSession, LoginAttempt


class LockedOut(Problem):
    """Too many failed sign-ins for one account or from one client."""

    status = 429
    title = "Too many sign-in attempts"
    slug = "locked-out"


class WrongPassword(Invalid):
    """The current password typed to change it was wrong: counted as a failed sign-in (the caller commits it)."""


def sign_in(session: Session, email: str, password: str, *, ip: str) -> tuple[AgentSession, str]:
    """Open a browser session, unless the account or the client is locked out; every attempt is recorded.

    The caller must commit even when this raises Unauthorized, so the failure counts (the view re-shows the form
    and the API route returns its problem instead of raising).
    """
    email = email.strip().lower()[:320]
    ip = (ip or "unknown")[:64]
    refuse_when_locked(session, email=email, ip=ip)
    attempt = LoginAttempt(email=email, ip=ip, succeeded=False, attempted_at=now())
    session.add(attempt)
    try:
        row, plain = auth.sign_in(session, email, password)
    except Unauthorized:
        session.flush()
        raise
    attempt.succeeded = True
    return row, plain


def refuse_when_locked(session: Session, *, email: str, ip: str) -> None:
    """Raise LockedOut (with the seconds to wait) when the account or the client used up its failures."""
    # Concurrent guesses at one account wait for each other's outcome, so none counts before the others commit.
    ratelimit.hold(session, f"signin:{email}")
    settings = get_settings()
    window = timedelta(minutes=settings.login_lockout_minutes)
    stamp = now()
    checks = (
        ({"email": email}, settings.login_max_attempts, "RAPPORT_LOGIN_MAX_ATTEMPTS", f"for {email}"),
        ({"ip": ip}, settings.login_max_attempts_per_client, "RAPPORT_LOGIN_MAX_ATTEMPTS_PER_CLIENT", "from here"),
    )
    for key, limit, setting, where in checks:
        failed, oldest = repository.failed_sign_ins(session, stamp - window, **key)
        if failed >= limit:
            wait = max(1, math.ceil(((oldest + window) - stamp).total_seconds())) if oldest else 1
            raise LockedOut(
                f"Too many failed sign-ins {where}: wait {math.ceil(wait / 60)} minutes and try again "
                f"({setting}={limit} per RAPPORT_LOGIN_LOCKOUT_MINUTES={settings.login_lockout_minutes}).",
                limit=limit,
                setting=setting,
                retry_after=wait,
            )


def check_current_password(session: Session, agent: Agent, password: str, *, ip: str) -> None:
    """Refuse a wrong current password as a failed sign-in: it counts toward the same limits (so a borrowed session
    cannot try passwords without end), and a locked account or client is refused first."""
    email, ip = agent.email, (ip or "unknown")[:64]
    refuse_when_locked(session, email=email, ip=ip)
    if not verify_password(agent.password_hash, password):
        session.add(LoginAttempt(email=email, ip=ip, succeeded=False, attempted_at=now()))
        session.flush()
        message = "That is not your current password."
        raise WrongPassword(message, errors=[{"field": "current_password", "message": message}])
