"""Serving a stored attachment: passive images inline, everything else (HTML, SVG, …) only as a download."""

from __future__ import annotations

from fastapi.responses import FileResponse

from rapport.config import get_settings
from rapport.kit import blobs


def attachment_response(att) -> FileResponse:
    """The attachment's bytes with headers that keep a browser from running them (nosniff, sandbox CSP)."""
    inline = att.content_type.startswith("image/") and att.content_type not in blobs.ACTIVE_TYPES
    return FileResponse(
        blobs.blob_path(get_settings().attachments_dir, att.sha256),
        filename=att.filename,
        media_type=att.content_type if inline else "application/octet-stream",
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )
