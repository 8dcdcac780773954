"""System mail: queued with the transaction, delivered by the worker to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import socket

import pytest
from aiosmtpd.controller import Controller

from rapport.kit.mailer import send_system_mail
from rapport.kit.problems import Invalid
from rapport.worker.runner import run_due


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port; settings point the mailer at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    yield received
    controller.stop()


def test_system_mail_is_sent_after_commit_once(db, smtp_server):
    with db.write() as s:
        send_system_mail(s, to="pat@example.net", subject="Your link", text="Open https://x/y", key="link:1")
        send_system_mail(s, to="pat@example.net", subject="Your link", text="Open https://x/y", key="link:1")
    assert smtp_server.messages == []  # nothing leaves inside the transaction
    run_due(db)
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert (got["To"], got["Subject"], got["Auto-Submitted"]) == ("pat@example.net", "Your link", "auto-generated")
    assert "https://x/y" in got.get_payload()


def test_header_injection_is_refused(db):
    with db.write() as s, pytest.raises(Invalid, match="line breaks"):
        send_system_mail(s, to="pat@example.net\r\nBcc: all@example.net", subject="x", text="y")
