"""Serving a subscription as a Server-Sent Events stream: a ready frame, pushes, heartbeats, a close reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import orjson
from fastapi.responses import StreamingResponse

from rapport.realtime.hub import Closed, Hub, Subscription
from rapport.realtime.pushes import Push

HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "X-Content-Type-Options": "nosniff"}


def stream(
    hub: Hub,
    sub: Subscription,
    *,
    heartbeat: float,
    keep: Callable[[Push], bool] | None = None,
    headers: dict | None = None,
) -> StreamingResponse:
    """An SSE response for `sub` (already subscribed, so nothing committed after this call is missed)."""
    return StreamingResponse(
        _frames(hub, sub, heartbeat, keep),
        media_type="text/event-stream",
        headers=HEADERS | (headers or {}),
    )


async def _frames(hub: Hub, sub: Subscription, heartbeat: float, keep) -> AsyncIterator[bytes]:
    try:
        # `ready` tells the client the subscription is live; `retry` sets EventSource's reconnect delay.
        yield b"retry: 2000\nevent: ready\ndata: " + orjson.dumps({"topics": sorted(sub.topics)}) + b"\n\n"
        while True:
            try:
                push = await asyncio.wait_for(sub.get(), heartbeat)
            except TimeoutError:
                yield b": ping\n\n"  # keeps proxies from closing an idle stream
                continue
            except Closed as closed:
                yield b"event: close\ndata: " + orjson.dumps({"reason": closed.reason}) + b"\n\n"
                return
            if keep is None or keep(push):
                yield push.frame
    finally:
        hub.unsubscribe(sub)
