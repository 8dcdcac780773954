"""The admin frame: `/admin` lists the admin pages that domains declare (`admin_sections=` in their domain.py); and
the favicon browsers ask for at a fixed address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from rapport.kernel.permissions import authorize
from rapport.web.pages import Page, WorkspaceRoute, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)


@router.get("/admin")
def admin_home(request: Request, viewer: Page):
    """The admin pages this admin may open, each with what it is for."""
    authorize(viewer.actor, "admin")
    return render(request, "workspace/admin.html", viewer)


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """Browsers ask every site for /favicon.ico; a page without its own <link rel=icon> gets the SVG one."""
    return RedirectResponse("/static/favicon.svg", status_code=301, headers={"Cache-Control": "public, max-age=86400"})
