"""Chat fixtures: a chat inbox with a public key and allowed origins, visitors, a real SMTP server, a live server."""

from __future__ import annotations

import email
import email.policy
import threading
import time

import pytest
import uvicorn
from aiosmtpd.controller import Controller

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from tests.conftest import free_port

KEY = "pk_test_chat_0123456789"
SHOP = "https://shop.example"


@pytest.fixture
def chat_inbox(db, world):
    """An active chat inbox that the shop's site may embed."""
    with db.write() as s:
        return inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [SHOP]}
        )


def new_visitor(client, key: str = KEY) -> dict[str, str]:
    """Start a chat; the headers that carry its token."""
    r = client.post(f"/chat/api/{key}/visitors", json={})
    assert r.status_code == 201, r.text
    return {"X-Rapport-Visitor": r.json()["token"]}


class Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port; settings point the mailer at it."""
    port = free_port()
    received = Mailbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    yield received
    controller.stop()


@pytest.fixture
def live_server(app):
    """The app served by uvicorn on a free loopback port (real streaming), stopped after the test."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
