"""The hub: committed events and ephemeral signals become pushes, fanned out to subscribers by topic.

One hub per web process, running on the server's event loop. The event bus calls `on_commit` from whichever
thread committed (a request's worker thread, the intake thread, the job worker); the hub hands the batch to its
loop with `call_soon_threadsafe`, turns it into pushes off the loop (one read for the batch), and delivers each
push to the bounded queue of every subscriber of one of its topics. With RAPPORT_REDIS_URL set, pushes go
through Redis pub/sub instead, so every process (this one included) delivers them to its own subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from rapport.config import get_settings
from rapport.db.session import Database
from rapport.events import bus
from rapport.kit.problems import Problem
from rapport.realtime.pushes import Push, build_pushes
from rapport.realtime.throttle import SignalGate

log = logging.getLogger(__name__)


class TooManyStreams(Problem):
    """This process holds as many live streams as RAPPORT_LIVE_MAX_STREAMS allows."""

    status, title, slug = 503, "Too many live streams", "too-many-streams"


class Closed(Exception):
    """The subscription ended; `reason` says why (shown to the client before the stream closes)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_CLOSE = object()


class Subscription:
    """One open stream: the topics it follows and a bounded queue of pushes waiting to be written."""

    def __init__(self, topics: Iterable[str], maxsize: int):
        self.topics = frozenset(topics)
        self.queue: asyncio.Queue = asyncio.Queue(maxsize)
        self.maxsize = maxsize
        self.closed: str | None = None

    def offer(self, push: Push) -> bool:
        """Queue a push without waiting; a subscriber that has fallen `maxsize` behind is closed instead."""
        if self.closed:
            return False
        try:
            self.queue.put_nowait(push)
            return True
        except asyncio.QueueFull:
            self.close(
                f"too slow: {self.maxsize} pushes were waiting to be read (RAPPORT_LIVE_QUEUE_SIZE); reconnect "
                "and reload what was missed"
            )
            return False

    def close(self, reason: str) -> None:
        """End the subscription: what is queued is dropped and the reader gets `Closed(reason)`."""
        if self.closed:
            return
        self.closed = reason
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_CLOSE)

    async def get(self) -> Push:
        """The next push; raises Closed when the subscription has ended."""
        item = await self.queue.get()
        if item is _CLOSE:
            raise Closed(self.closed or "closed")
        return item


class Hub:
    """Topic fan-out for one process, bridged across processes through Redis when a URL is given."""

    def __init__(
        self,
        db: Database | None,
        *,
        queue_size: int = 256,
        max_streams: int = 10_000,
        redis_url: str | None = None,
        channel: str = "rapport:live",
    ):
        self.db, self.queue_size, self.max_streams = db, queue_size, max_streams
        self.redis_url, self.channel = redis_url, channel
        self._topics: dict[str, set[Subscription]] = {}
        self._count = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._incoming: asyncio.Queue | None = None
        self._tasks: list[asyncio.Task] = []
        self._bridge = None
        # Typing signals per sender, checked on the loop (one thread: no lock needed).
        self.typing = SignalGate(get_settings().typing_signals_per_minute)

    @property
    def streams(self) -> int:
        """How many subscriptions are open."""
        return self._count

    async def start(self) -> None:
        """Begin taking committed events (and Redis pushes) on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._incoming = asyncio.Queue()
        if self.redis_url:
            from rapport.realtime.redis_bridge import RedisBridge

            self._bridge = RedisBridge(self.redis_url, self.channel, self.deliver)
            await self._bridge.start()
        self._tasks.append(asyncio.create_task(self._pump(), name="rapport-hub-pump"))
        bus.subscribe(self.on_commit)

    async def stop(self) -> None:
        """Stop taking events and close every subscription."""
        bus.unsubscribe(self.on_commit)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._bridge:
            await self._bridge.stop()
            self._bridge = None
        for subs in list(self._topics.values()):
            for sub in list(subs):
                sub.close("the server is shutting down; reconnect")
        self._topics.clear()
        self._count = 0

    def on_commit(self, events: list) -> None:
        """Bus subscriber, called from any thread after a commit: hand the batch to the hub's loop."""
        loop, incoming = self._loop, self._incoming
        if loop is None or incoming is None or loop.is_closed():
            return
        if self._bridge is None and self._count == 0:
            return  # nobody listens in this process and nothing fans out: building pushes would be wasted reads
        # RuntimeError: the loop closed between the check and the call, so nothing is listening.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(incoming.put_nowait, events)

    async def _pump(self) -> None:
        while True:
            events = list(await self._incoming.get())
            # Coalesce what queued up meanwhile: one read serves every batch committed since the last one.
            while not self._incoming.empty():
                events.extend(self._incoming.get_nowait())
            try:
                # Building reads the messages the events name: a blocking query, so off the loop.
                pushes = await asyncio.to_thread(build_pushes, self.db, events) if self.db else []
                for push in pushes:
                    await self.emit(push)
            except Exception:  # noqa: BLE001  (one bad batch must not stop live updates)
                log.exception("live push of %d events failed", len(events))

    async def emit(self, push: Push) -> None:
        """Send a push to every process's subscribers (Redis), or to this process's when Redis is off."""
        if self._bridge is not None:
            try:
                await self._bridge.publish(push)
                return
            except Exception:  # noqa: BLE001  (Redis down: this node's pages still get their pushes)
                log.warning("Redis publish failed; delivering %s on this node only", push.name, exc_info=True)
        self.deliver(push)

    def deliver(self, push: Push) -> int:
        """Fan a push out to this process's subscribers of its topics (once each); returns how many got it."""
        targets: set[Subscription] = set()
        for topic in push.topics:
            targets.update(self._topics.get(topic, ()))
        delivered = 0
        for sub in targets:
            if sub.offer(push):
                delivered += 1
            elif sub.closed:
                self.unsubscribe(sub)
        return delivered

    def subscribe(self, topics: Iterable[str]) -> Subscription:
        """Open a subscription to `topics` (on the hub's loop); TooManyStreams past RAPPORT_LIVE_MAX_STREAMS."""
        if self._count >= self.max_streams:
            raise TooManyStreams(
                f"This server holds {self._count} live streams, the most RAPPORT_LIVE_MAX_STREAMS allows; "
                "retry shortly."
            )
        sub = Subscription(topics, self.queue_size)
        for topic in sub.topics:
            self._topics.setdefault(topic, set()).add(sub)
        self._count += 1
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a subscription (idempotent)."""
        removed = False
        for topic in sub.topics:
            subs = self._topics.get(topic)
            if subs and sub in subs:
                subs.discard(sub)
                removed = True
                if not subs:
                    del self._topics[topic]
        if removed:
            self._count -= 1
