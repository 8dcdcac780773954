"""Limits on actions per key within a window, counted in the database so they hold across processes.

Every action that makes Rapport send a mail to an address someone typed (a chat confirmation code, a portal sign-in
link or receipt, an agent's sign-in link) spends from two budgets first: one per normalised target address (case,
`+tag`, Gmail's dots and a Unicode domain do not make a new address) and one per client (the connecting address, or
the admin who asked). A refusal is a 429 naming the setting, with the seconds until a use frees up.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import TooManyRequests
from rapport.models import RateHit
from rapport.worker.periodic import periodic

HOUR = timedelta(hours=1)
KEEP = timedelta(days=1)  # the longest window a Key may have: older rows are dropped
# Providers that ignore dots in the local part: a.b@gmail.com and ab@gmail.com are one mailbox.
DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


@dataclass(frozen=True)
class Key:
    """One budget: `kind` and `value` name it, `limit` uses per `window`, `setting` is the env var, `what` the words."""

    kind: str
    value: str
    limit: int
    setting: str
    what: str
    window: timedelta = HOUR  # at most KEEP


@dataclass(frozen=True)
class MailAllowance:
    """Proof that a mail to `target` was counted against its limits (the system mailer asks for one)."""

    target: str


def mail_target(address: str) -> str:
    """The mailbox an address reaches, for counting: lower case, no +tag, no Gmail dots, an ASCII (IDNA) domain."""
    value = address.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return value[:320]
    local = local.split("+", 1)[0] or local
    domain = domain.rstrip(".")
    with contextlib.suppress(UnicodeError):  # not a valid IDNA name: counted as typed
        domain = domain.encode("idna").decode("ascii")
    if domain in DOTLESS:
        local, domain = local.replace(".", ""), DOTLESS[domain]
    return f"{local}@{domain}"[:320]


def check(session: Session, *keys: Key) -> None:
    """Refuse (429, Retry-After) when any key has used its whole limit within its window; counts nothing."""
    stamp = now()
    for key in keys:
        since = stamp - key.window
        # A use exactly one window old has left it: after waiting the Retry-After it names, a client gets through.
        session.execute(
            delete(RateHit).where(RateHit.kind == key.kind, RateHit.key == key.value, RateHit.created_at <= since)
        )
        used, oldest = session.execute(
            select(func.count(), func.min(RateHit.created_at)).where(
                RateHit.kind == key.kind, RateHit.key == key.value, RateHit.created_at > since
            )
        ).one()
        if used >= key.limit:
            wait = max(1, math.ceil(((oldest + key.window) - stamp).total_seconds())) if oldest else 1
            raise TooManyRequests(
                f"Too many {key.what}: the limit is {key.limit} per {_words(key.window)} ({key.setting}). "
                f"Try again in {_wait(wait)}.",
                limit=key.limit,
                setting=key.setting,
                retry_after=wait,
            )


def spend(session: Session, *keys: Key) -> None:
    """Check every key, then count one use of each (nothing is counted when one refuses)."""
    check(session, *keys)
    stamp = now()
    # Keys that are never used again would keep their rows: a use also drops every row older than any window.
    session.execute(delete(RateHit).where(RateHit.created_at < stamp - KEEP))
    session.add_all(RateHit(kind=k.kind, key=k.value[:320], created_at=stamp) for k in keys)
    session.flush()


@periodic("ratelimit.purge_hits", every_minutes=60)
def purge_hits(session: Session, payload: dict) -> None:
    """Delete uses older than the longest window (KEEP): keys never used again would otherwise keep theirs."""
    session.execute(delete(RateHit).where(RateHit.created_at < now() - KEEP))


def mail_keys(to: str, client: str) -> tuple[Key, Key]:
    """The two budgets a mail to `to` asked for by `client` spends from."""
    settings = get_settings()
    target = mail_target(to)
    return (
        Key(
            "mail:to",
            target,
            settings.mail_per_address_per_hour,
            "RAPPORT_MAIL_PER_ADDRESS_PER_HOUR",
            f"mails to {target}",
        ),
        Key(
            "mail:client",
            client or "unknown",
            settings.mail_per_client_per_hour,
            "RAPPORT_MAIL_PER_CLIENT_PER_HOUR",
            "mails asked for from your address",
        ),
    )


def limit_mail(session: Session, *, to: str, client: str, also: tuple[Key, ...] = ()) -> MailAllowance:
    """Count a mail to `to` that `client` asked for (and the action's own keys `also`), or refuse it all; the
    allowance lets the mailer send it."""
    spend(session, *mail_keys(to, client), *also)
    return MailAllowance(mail_target(to))


def _words(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    minutes = math.ceil(seconds / 60)
    return "minute" if minutes == 1 else f"{minutes} minutes"


def _wait(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
