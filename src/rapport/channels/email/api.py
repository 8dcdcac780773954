"""REST routes of the email channel: the quarantine, for admins (channels/email/quarantine.py decides)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from rapport.channels.email import quarantine
from rapport.channels.email.schemas import QuarantinedOut
from rapport.kit.schema import Cursor, Id, Limit, Page, Str
from rapport.web.deps import DB, Me, requires

router = APIRouter(prefix="/api/v1/email", tags=["email"])


@router.get("/quarantine", dependencies=[requires("admin")], response_model=Page[QuarantinedOut])
def list_quarantine(
    session: DB,
    actor: Me,
    inbox_id: Id | None = None,
    reason: Str | None = None,
    cursor: Cursor | None = None,
    limit: Limit = 50,
):
    """Mail kept out of the conversations (unparseable, loops, bounces, rate-limited, oversized …), newest first."""
    found = quarantine.page(session, actor, limit=limit, cursor=cursor, inbox_id=inbox_id, reason=reason)
    return Page(items=[QuarantinedOut.model_validate(r) for r in found.items], next_cursor=found.next_cursor)


@router.get("/quarantine/{receipt_id}", dependencies=[requires("admin")], response_model=QuarantinedOut)
def get_quarantined(receipt_id: Id, session: DB, actor: Me):
    """One quarantined mail."""
    return quarantine.get(session, actor, receipt_id)


@router.get("/quarantine/{receipt_id}/raw", dependencies=[requires("admin")])
def get_quarantined_raw(receipt_id: Id, session: DB, actor: Me):
    """The mail's raw bytes, exactly as received, as a download (message/rfc822)."""
    return raw_download(quarantine.raw_path(session, actor, receipt_id), receipt_id)


def raw_download(path, receipt_id: int) -> FileResponse:
    """The raw mail as an attachment that no browser renders (nosniff, a sandbox CSP)."""
    return FileResponse(
        path,
        filename=f"quarantined-{receipt_id}.eml",
        media_type="message/rfc822",
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )
