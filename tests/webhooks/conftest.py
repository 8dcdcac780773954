"""A real HTTP receiver on loopback, and helpers to make endpoints and run the worker's side."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rapport.events import consumers
from rapport.kernel.permissions import SYSTEM
from rapport.webhooks import service
from rapport.worker.runner import load_handlers, run_due


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the receiver got, and what it answers next (statuses are used in order, then 200)."""

    port: int
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    answer: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @property
    def url(self) -> str:
        """Its URL on 127.0.0.1."""
        return f"http://127.0.0.1:{self.port}/hooks"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server in a thread on a free loopback port that records each POST."""
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's hook name)
            size = int(self.headers.get("Content-Length") or 0)
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append(Received(self.path, headers, self.rfile.read(size)))
            status = state.statuses.pop(0) if state.statuses else 200
            time.sleep(state.delay)
            self.send_response(status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def started(db):
    """The webhook consumer is registered and its cursor stands at the present (it reacts to what follows)."""
    load_handlers()
    assert "webhooks" in consumers.CONSUMERS
    consumers.run_consumers(db)


def make_endpoint(db, url: str, *, event_types=("message.received",), allow_private=True, actor=SYSTEM):
    """An endpoint (private networks allowed by default, as the receiver is on loopback) and its secret."""
    with db.write() as s:
        endpoint, secret = service.create_endpoint(
            s, actor, url=url, event_types=list(event_types), allow_private=allow_private
        )
        return endpoint.id, secret


def work(db) -> int:
    """One pass of the worker: the consumers, then the due jobs; returns the jobs attempted."""
    consumers.run_consumers(db)
    return run_due(db)
