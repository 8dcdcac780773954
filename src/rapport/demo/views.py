"""The demo's mail catcher page (/demo/mail): what Rapport sent while `rapport demo` ran, links clickable."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.config import get_settings
from rapport.demo import mailcatcher
from rapport.kernel.permissions import authorize
from rapport.kit.problems import NotFound
from rapport.web.pages import Page, WorkspaceRoute, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
SHOWN = 100


@router.get("/demo/mail")
def caught_mail(request: Request, viewer: Page):
    """The caught mail, newest first; there is no such page outside the demo."""
    settings = get_settings()
    if not settings.demo_mail_catcher:
        raise NotFound("The mail catcher runs only with `rapport demo`.")
    authorize(viewer.actor, "admin")
    mails = mailcatcher.caught(settings.data_dir, limit=SHOWN)
    return render(request, "demo/mail.html", viewer, mails=mails, keep=settings.demo_mail_keep)
