"""Fan-out across web processes through Redis pub/sub: every process publishes, every process delivers.

All pushes travel on one channel (RAPPORT_REDIS_CHANNEL); each process filters by topic locally. At the
target load (hundreds of messages a second) one channel costs Redis nothing and keeps subscriptions static.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import redis.asyncio as redis

from rapport.realtime.pushes import Push

log = logging.getLogger(__name__)


class RedisBridge:
    """Publishes pushes to a Redis channel and hands every push read from it to `deliver`."""

    def __init__(self, url: str, channel: str, deliver: Callable[[Push], int]):
        self.url, self.channel, self.deliver = url, channel, deliver
        self._client: redis.Redis | None = None
        self._pubsub = None
        self._reader: asyncio.Task | None = None

    async def start(self) -> None:
        """Connect and subscribe; returns once Redis has confirmed the subscription."""
        self._client = redis.Redis.from_url(self.url)
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(self.channel)
        # Wait for the confirmation, so a push published right after start() is not missed.
        while True:
            message = await self._pubsub.get_message(timeout=5.0)
            if message is None:
                raise ConnectionError(f"Redis at {self.url} did not confirm the subscription to {self.channel}")
            if message["type"] == "subscribe":
                break
        self._reader = asyncio.create_task(self._read(), name="rapport-redis-reader")

    async def _read(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message["type"] == "message":
                        try:
                            self.deliver(Push.loads(message["data"]))
                        except Exception:  # noqa: BLE001  (a malformed push must not stop the reader)
                            log.exception("bad push on %s", self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001  (Redis restarted: resubscribe after a pause)
                log.warning("Redis subscription lost; retrying", exc_info=True)
                await asyncio.sleep(1.0)
                # Still down: the loop tries again.
                with contextlib.suppress(Exception):
                    await self._pubsub.subscribe(self.channel)

    async def publish(self, push: Push) -> None:
        """Send a push to every subscribed process."""
        await self._client.publish(self.channel, push.dumps())

    async def stop(self) -> None:
        """Unsubscribe and disconnect."""
        if self._reader:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._client is not None:
            await self._client.aclose()
