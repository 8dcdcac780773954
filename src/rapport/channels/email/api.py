"""REST routes of the email channel: the quarantine, for admins."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from rapport.agents.permissions import authorize
from rapport.channels.email import repository
from rapport.channels.email.schemas import QuarantinedOut
from rapport.config import get_settings
from rapport.kit import blobs
from rapport.kit import cursor as cursors
from rapport.kit.problems import Invalid, NotFound
from rapport.kit.schema import Page
from rapport.web.deps import DB, Me

router = APIRouter(prefix="/api/v1/email", tags=["email"])


@router.get("/quarantine", response_model=Page[QuarantinedOut])
def list_quarantine(
    session: DB,
    actor: Me,
    inbox_id: int | None = None,
    reason: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    """Mail kept out of the conversations (unparseable, loops, bounces, rate-limited, oversized …), newest first."""
    authorize(actor, "admin")
    cap = get_settings().max_page_size
    if not 1 <= limit <= cap:
        raise Invalid(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE).", errors=[{"field": "limit"}])
    before = None
    if cursor is not None:
        try:
            (before,) = cursors.decode(cursor)
            before = int(before)
        except (ValueError, TypeError) as exc:
            raise Invalid("The cursor is not valid; start again without it.", errors=[{"field": "cursor"}]) from exc
    rows = repository.quarantine(session, limit=limit + 1, before_id=before, inbox_id=inbox_id, reason=reason)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[QuarantinedOut.model_validate(r) for r in rows],
        next_cursor=cursors.encode([rows[-1].id]) if more else None,
    )


@router.get("/quarantine/{receipt_id}", response_model=QuarantinedOut)
def get_quarantined(receipt_id: int, session: DB, actor: Me):
    """One quarantined mail."""
    authorize(actor, "admin")
    return _quarantined(session, receipt_id)


@router.get("/quarantine/{receipt_id}/raw")
def get_quarantined_raw(receipt_id: int, session: DB, actor: Me):
    """The mail's raw bytes, exactly as received, as a download (message/rfc822)."""
    authorize(actor, "admin")
    row = _quarantined(session, receipt_id)
    path = blobs.blob_path(get_settings().mail_dir, row.raw_sha256)
    if not path.exists():
        raise NotFound(f"The raw bytes of quarantined mail {receipt_id} are missing from the data directory.")
    return FileResponse(
        path,
        filename=f"quarantined-{receipt_id}.eml",
        media_type="message/rfc822",
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


def _quarantined(session, receipt_id: int):
    row = repository.receipt(session, receipt_id)
    if row is None or row.outcome != "quarantined":
        raise NotFound(f"There is no quarantined mail {receipt_id}.")
    return row
