"""Content-addressed file storage under the data directory."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import puremagic

# Types a browser would execute or render as a page: always served as downloads.
ACTIVE_TYPES = {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml"}


def sniff(data: bytes, filename: str, declared: str | None) -> str:
    """The content type read from the bytes, falling back to the declared one or octet-stream."""
    try:
        matches = puremagic.magic_string(data[:8192], filename)
        if matches and matches[0].mime_type:
            return matches[0].mime_type
    except (puremagic.PureError, ValueError):
        pass
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    if head.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if declared and declared.lower() not in ACTIVE_TYPES and "/" in declared:
        return declared.lower()
    return "application/octet-stream"


def store(root: Path, data: bytes) -> str:
    """Write `data` once under its SHA-256 and return the hash."""
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(root, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    return digest


def blob_path(root: Path, digest: str) -> Path:
    """Where the blob with this hash lives."""
    return root / digest[:2] / digest[2:4] / digest
