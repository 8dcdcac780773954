"""Periodic jobs of the agents domain: forgetting old sign-in attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.models import LoginAttempt
from rapport.worker.periodic import periodic


@periodic("agents.purge_login_attempts", daily_at="03:10")
def purge_login_attempts(session: Session, payload: dict) -> None:
    """Delete sign-in attempts older than RAPPORT_LOGIN_ATTEMPTS_KEEP_DAYS (never any the lockout still counts)."""
    settings = get_settings()
    keep = max(timedelta(days=settings.login_attempts_keep_days), timedelta(minutes=settings.login_lockout_minutes))
    session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now() - keep))
