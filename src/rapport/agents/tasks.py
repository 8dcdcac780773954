"""Periodic jobs of the agents domain: forgetting old sign-in attempts and spent rate-limit uses (kit.ratelimit,
which counts the mails and sign-ins people ask for; kit/ runs no jobs of its own)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.ratelimit import KEEP
from rapport.models import LoginAttempt, RateHit
from rapport.worker.periodic import periodic


@periodic("agents.purge_login_attempts", daily_at="03:10")
def purge_login_attempts(session: Session, payload: dict) -> None:
    """Delete sign-in attempts older than RAPPORT_LOGIN_ATTEMPTS_KEEP_DAYS (never any the lockout still counts)."""
    settings = get_settings()
    keep = max(timedelta(days=settings.login_attempts_keep_days), timedelta(minutes=settings.login_lockout_minutes))
    session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now() - keep))


@periodic("ratelimit.purge_hits", every_minutes=60)
def purge_hits(session: Session, payload: dict) -> None:
    """Delete rate-limit uses older than the longest window (KEEP): keys never used again would keep theirs."""
    session.execute(delete(RateHit).where(RateHit.created_at < now() - KEEP))
