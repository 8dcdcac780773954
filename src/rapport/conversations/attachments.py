"""Checking attachments against the configured limits and storing their bytes by hash."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit import blobs
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, TooLarge
from rapport.models import Attachment

_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class IncomingFile:
    """An attachment as received: name, declared type, bytes."""

    filename: str
    data: bytes
    content_type: str | None = None

    def __post_init__(self):
        # Names come from uploads, MIME headers and providers: control characters (a NUL above all, which no
        # database column stores) are dropped here, once, for every channel.
        self.filename = _CONTROLS.sub("", self.filename or "").strip() or "attachment"
        if self.content_type is not None:
            self.content_type = _CONTROLS.sub("", self.content_type).strip() or None


def check(files: list[IncomingFile]) -> None:
    """Raise before anything is written when a file breaks a limit."""
    settings = get_settings()
    if len(files) > settings.max_attachments_per_message:
        raise Invalid(
            f"{len(files)} attachments sent; at most {settings.max_attachments_per_message} "
            "are allowed per message (RAPPORT_MAX_ATTACHMENTS_PER_MESSAGE)."
        )
    for f in files:
        if len(f.data) > settings.max_attachment_bytes:
            raise TooLarge(
                f"Attachment '{f.filename}' is {len(f.data)} bytes; the limit is "
                f"{settings.max_attachment_bytes} bytes (RAPPORT_MAX_ATTACHMENT_BYTES).",
                limit=settings.max_attachment_bytes,
                setting="RAPPORT_MAX_ATTACHMENT_BYTES",
            )


def save(session: Session, message_id: int, files: list[IncomingFile]) -> list[Attachment]:
    """Store each file's bytes (idempotently, by hash) and its row on the message."""
    root = get_settings().attachments_dir
    rows = []
    for f in files:
        digest = blobs.store(root, f.data)
        row = Attachment(
            message_id=message_id,
            filename=(f.filename or "attachment").replace("/", "_").replace("\\", "_")[:255],
            content_type=blobs.sniff(f.data, f.filename, f.content_type),
            declared_content_type=f.content_type,
            size=len(f.data),
            sha256=digest,
            created_at=now(),
        )
        session.add(row)
        rows.append(row)
    return rows
