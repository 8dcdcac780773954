"""Opaque keyset-pagination cursors."""

from __future__ import annotations

import base64

import orjson


def encode(values: list) -> str:
    """Encode the sort key of the last row seen."""
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode(cursor: str) -> list:
    """Decode a cursor; raises ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except Exception as exc:  # noqa: BLE001  (any decoding failure means the same thing)
        raise ValueError("invalid cursor") from exc
    if not isinstance(values, list):
        raise ValueError("invalid cursor")
    return values
