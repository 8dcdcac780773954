"""A JSON response rendered by orjson, for read paths whose dicts are already in their documented shape."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class FastJSON(Response):
    """application/json via orjson (datetimes as ISO 8601); the route's response_model still documents it."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:  # noqa: D102
        return orjson.dumps(content)
