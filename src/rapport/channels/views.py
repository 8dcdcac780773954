"""Admin pages of the channels: quarantined inbound mail (the list, one mail's headers, its raw bytes)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.channels.email import quarantine
from rapport.channels.email.api import raw_download
from rapport.kit.schema import Id
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
PAGE_SIZE = 50


@router.get("/admin/quarantine")
def quarantine_list(
    request: Request, session: DB, viewer: Page, reason: str = "", inbox_id: str = "", cursor: str = ""
):
    """Quarantined mail, newest first, filtered by reason and inbox, a page at a time."""
    inbox = int(inbox_id) if inbox_id.isdigit() else None
    found = quarantine.page(session, viewer.actor, limit=PAGE_SIZE, cursor=cursor, inbox_id=inbox, reason=reason)
    return render(
        request,
        "channels/quarantine.html",
        viewer,
        page=found,
        inboxes=quarantine.inbox_names(session, viewer.actor),
        reasons=quarantine.REASONS,
        reason=reason,
        inbox_id=inbox,
        cursor=cursor,
    )


@router.get("/admin/quarantine/{receipt_id}")
def quarantined(request: Request, session: DB, viewer: Page, receipt_id: Id):
    """One quarantined mail: why, from whom, its headers and parts (its body is never rendered)."""
    return render(
        request,
        "channels/quarantined.html",
        viewer,
        mail=quarantine.inspect(session, viewer.actor, receipt_id),
        inboxes=quarantine.inbox_names(session, viewer.actor),
        reasons=quarantine.REASONS,
    )


@router.get("/admin/quarantine/{receipt_id}/raw")
def quarantined_raw(session: DB, viewer: Page, receipt_id: Id):
    """The mail's raw bytes as an .eml download (never shown in the browser)."""
    return raw_download(quarantine.raw_path(session, viewer.actor, receipt_id), receipt_id)
