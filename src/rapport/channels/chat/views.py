"""Pages and files Rapport serves for chat: the widget script, a demo page, the page old confirmation links open."""

from __future__ import annotations

import html
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from rapport.web.deps import PUBLIC, requires

router = APIRouter(prefix="/chat", tags=["chat"], include_in_schema=False, dependencies=[requires(PUBLIC)])
# Every HTML page Rapport serves for chat: nothing inline, nothing from elsewhere.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HTML_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _static(name: str) -> bytes:
    return files("rapport.web").joinpath("static", "chat", name).read_bytes()


@router.get("/widget.js")
def widget_js() -> Response:
    """The embeddable widget: `<script src=".../chat/widget.js" data-inbox="<public key>">`."""
    return Response(
        _static("widget.js"),
        media_type="text/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/demo")
def demo(key: str = "") -> HTMLResponse:
    """A test page that embeds the widget for the inbox `?key=`."""
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Rapport chat demo</title></head><body>"
        "<main><h1>Rapport chat demo</h1><p>The chat widget is in the corner of this page.</p></main>"
        f'<script src="/chat/widget.js" data-inbox="{html.escape(key, quote=True)}" defer></script></body></html>'
    )
    return HTMLResponse(page, headers=HTML_HEADERS)


@router.get("/verify")
def verify_page() -> HTMLResponse:
    """Where the links of older confirmation mails lead: confirming is now a code typed into the chat that asked."""
    return _page(
        "<h1>Confirm in the chat</h1><p>Confirmation links no longer confirm anything. Give your email address "
        "in the chat again and type the code we mail you into that same chat.</p>",
        status=410,
    )


def _page(body: str, status: int = 200) -> HTMLResponse:
    head = "<!doctype html><html lang=en><head><meta charset=utf-8><title>Rapport</title></head>"
    page = f"{head}<body>{body}</body></html>"
    return HTMLResponse(page, status_code=status, headers=HTML_HEADERS)
