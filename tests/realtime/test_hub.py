"""The hub: topic fan-out, a slow subscriber dropped with a reason, events handed over from other threads."""

from __future__ import annotations

import asyncio
import threading

import pytest

from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.kernel.permissions import SYSTEM
from rapport.realtime import sse
from rapport.realtime.hub import Closed, Hub, TooManyStreams
from rapport.realtime.pushes import Push


def test_fan_out_by_topic_once_per_subscriber():
    async def run():
        hub = Hub(None)
        a = hub.subscribe(["conversation:1", "customer:9"])
        b = hub.subscribe(["conversation:2"])
        push = Push.make("message.sent", ["conversation:1", "customer:9"], {"x": 1}, id=5)
        assert hub.deliver(push) == 1
        assert (await a.get()).data == {"x": 1}
        assert a.queue.empty() and b.queue.empty()  # once, though two of its topics matched
        hub.unsubscribe(a)
        assert hub.deliver(push) == 0 and hub.streams == 1

    asyncio.run(run())


def test_slow_subscriber_is_dropped_with_a_reason():
    async def run():
        hub = Hub(None, queue_size=3)
        slow = hub.subscribe(["all"])
        for i in range(4):
            hub.deliver(Push.make("x", ["all"], {"i": i}))
        assert hub.streams == 0  # dropped, not grown
        with pytest.raises(Closed, match="RAPPORT_LIVE_QUEUE_SIZE"):
            await slow.get()

    asyncio.run(run())


def test_stream_limit():
    async def run():
        hub = Hub(None, max_streams=1)
        hub.subscribe(["all"])
        with pytest.raises(TooManyStreams, match="RAPPORT_LIVE_MAX_STREAMS"):
            hub.subscribe(["all"])

    asyncio.run(run())


def test_commit_in_another_thread_reaches_the_loop_with_its_message(db, world):
    async def run():
        hub = Hub(db)
        await hub.start()
        try:
            sub = hub.subscribe([f"inbox:{world.api_inbox.id}"])

            def write():
                with db.write() as s:
                    receive_inbound(s, SYSTEM, Inbound(world.api_inbox.id, "email", "t@example.net", text="Hi hub"))

            thread = threading.Thread(target=write)
            thread.start()
            await asyncio.to_thread(thread.join)
            names = []
            while True:
                push = await asyncio.wait_for(sub.get(), 10)
                names.append(push.name)
                if push.name == "message.received":
                    break
            assert push.public and push.data["message"]["text"] == "Hi hub"
            assert "conversation.created" in names
        finally:
            await hub.stop()

    asyncio.run(run())


def test_a_dropped_stream_ends_with_its_reason():
    async def run():
        hub = Hub(None, queue_size=1)
        sub = hub.subscribe(["all"])
        frames = sse._frames(hub, sub, 60, None)
        assert (await anext(frames)).startswith(b"retry: 2000\nevent: ready")
        hub.deliver(Push.make("one", ["all"], {"n": 1}, id=1))
        assert await anext(frames) == b'id: 1\nevent: one\ndata: {"n":1}\n\n'
        hub.deliver(Push.make("two", ["all"], {}))
        hub.deliver(Push.make("three", ["all"], {}))  # the reader is one behind: dropped
        last = await anext(frames)
        assert last.startswith(b"event: close") and b"RAPPORT_LIVE_QUEUE_SIZE" in last
        with pytest.raises(StopAsyncIteration):
            await anext(frames)
        assert hub.streams == 0

    asyncio.run(run())
