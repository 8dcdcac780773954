"""The quarantine, for admins: mail kept out of the conversations, a page at a time, one with its headers, the raw.

The API (`api.py`) and the admin pages (`channels/views.py`) both read it here. A quarantined mail is shown by
its headers and the list of its parts only: its body, and above all its HTML, is never rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy.orm import Session

from rapport.channels.email import repository
from rapport.channels.email.parse import POLICY, _decode_raw, one_line
from rapport.config import get_settings
from rapport.inboxes import repository as inboxes
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import blobs
from rapport.kit import cursor as cursors
from rapport.kit.problems import Invalid, NotFound
from rapport.models import EmailReceipt

MAX_HEADERS = 200  # a mail may carry thousands of headers; the page shows the first ones
MAX_VALUE = 2000
MAX_PARTS = 100

# Every reason pipeline.py quarantines for, in words (the filter on the admin page lists them).
REASONS = {
    "unparseable": "Unreadable",
    "oversized": "Too large",
    "too_complex": "Nested too deeply",
    "too_slow": "Too slow to read",
    "read_failed": "Reading it failed",
    "no_sender": "No sender",
    "loop": "Mail loop",
    "bounce": "Bounce",
    "auto_reply": "Automatic reply",
    "report": "Delivery or read report",
    "rate_limited": "Too many from one sender",
    "unverified_sender": "Sender not authenticated",
    "refused": "Refused",
}


@dataclass(frozen=True)
class QuarantinePage:
    """One page of quarantined mail, newest first, and the cursor of the next page (None at the end)."""

    items: list[EmailReceipt]
    next_cursor: str | None


@dataclass(frozen=True)
class Part:
    """One MIME part of a quarantined mail, described (never shown)."""

    content_type: str
    filename: str | None
    size: int


@dataclass(frozen=True)
class Quarantined:
    """A quarantined mail with its headers (decoded, one line each) and the list of its parts."""

    receipt: EmailReceipt
    headers: list[tuple[str, str]]
    parts: list[Part]
    more_headers: bool


def page(
    session: Session,
    actor: Actor,
    *,
    limit: int = 50,
    cursor: str | None = None,
    inbox_id: int | None = None,
    reason: str | None = None,
) -> QuarantinePage:
    """Quarantined mail, newest first, `limit` at a time (at most RAPPORT_MAX_PAGE_SIZE); admins only."""
    authorize(actor, "admin")
    cap = get_settings().max_page_size
    if not 1 <= limit <= cap:
        raise Invalid(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE).", errors=[{"field": "limit"}])
    before = None
    if cursor:
        try:
            (before,) = cursors.decode(cursor)
            before = int(before)
        except (ValueError, TypeError) as exc:
            raise Invalid("The cursor is not valid; start again without it.", errors=[{"field": "cursor"}]) from exc
    rows = repository.quarantine(session, limit=limit + 1, before_id=before, inbox_id=inbox_id, reason=reason or None)
    more = len(rows) > limit
    rows = rows[:limit]
    return QuarantinePage(rows, cursors.encode([rows[-1].id]) if more else None)


def inbox_names(session: Session, actor: Actor) -> dict[int, str]:
    """The names of the email inboxes, by id (to filter and label the quarantine)."""
    authorize(actor, "admin")
    return {i.id: i.name for i in inboxes.all_(session) if i.channel == "email"}


def get(session: Session, actor: Actor, receipt_id: int) -> EmailReceipt:
    """One quarantined mail's record; admins only."""
    authorize(actor, "admin")
    row = repository.receipt(session, receipt_id)
    if row is None or row.outcome != "quarantined":
        raise NotFound(f"There is no quarantined mail {receipt_id}.")
    return row


def raw_path(session: Session, actor: Actor, receipt_id: int) -> Path:
    """Where the mail's raw bytes are kept; NotFound when they are missing from the data directory."""
    row = get(session, actor, receipt_id)
    path = blobs.blob_path(get_settings().mail_dir, row.raw_sha256)
    if not path.exists():
        raise NotFound(f"The raw bytes of quarantined mail {receipt_id} are missing from the data directory.")
    return path


def inspect(session: Session, actor: Actor, receipt_id: int) -> Quarantined:
    """A quarantined mail with its headers and parts, read from its raw bytes (when they are still there)."""
    row = get(session, actor, receipt_id)
    try:
        raw = raw_path(session, actor, receipt_id).read_bytes()
    except NotFound:
        return Quarantined(row, [], [], False)
    message = BytesParser(policy=POLICY).parsebytes(raw)
    items = list(message.raw_items())
    headers = [(one_line(k)[:200], one_line(_decode_raw(v))[:MAX_VALUE]) for k, v in items[:MAX_HEADERS]]
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if len(parts) == MAX_PARTS:
            break
        payload = part.get_payload(decode=True) or b""
        name = part.get_filename()
        parts.append(Part(part.get_content_type(), one_line(str(name))[:200] if name else None, len(payload)))
    return Quarantined(row, headers, parts, len(items) > MAX_HEADERS)
