"""Fixtures for the email channel: a real Dovecot for the session, a fresh mail user and email inbox per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from rapport.channels.email.pipeline import RawMail, ingest
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from tests.channels.email.dovecot import Dovecot

USERS = 400  # mail users made before the server starts; each test takes a fresh one


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot (plain IMAP on loopback, and IMAPS/STARTTLS with a self-signed certificate) for the session."""
    server = Dovecot(tls=True)
    for i in range(USERS):
        server.add_user(f"user{i}", uuid.uuid4().hex)
    server.start()
    server.unused = list(server.users)
    yield server
    server.stop()


@pytest.fixture
def mail_user(dovecot) -> tuple[str, str]:
    """A mail user of its own for this test (an empty mailbox): (name, password)."""
    if not dovecot.unused:
        name = f"user{len(dovecot.users)}"
        dovecot.add_user(name, uuid.uuid4().hex)
        dovecot.unused.append(name)
    name = dovecot.unused.pop(0)
    return name, dovecot.users[name]


@pytest.fixture
def inbox(db, world, dovecot, mail_user, smtp_server):
    """An email inbox fetching the test's mailbox over IMAP and sending through the test SMTP server."""
    user, password = mail_user
    settings = {
        "imap": dovecot.imap_settings(user, password),
        "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "plain", "allow_private": True},
        "from_name": "Support",
    }
    with db.write() as s:
        return inboxes.update(s, SYSTEM, world.email_inbox.id, settings=settings)


@pytest.fixture
def bare_inbox(db):
    """Just an email inbox (desk@example.com), no IMAP: for tests that feed the pipeline directly."""
    with db.write() as s:
        return inboxes.create(s, SYSTEM, name="Email desk", channel="email", address="desk@example.com")


def deliver(dovecot: Dovecot, mail_user, *mails: bytes, mailbox: str = "INBOX") -> None:
    """Put mails into the test user's mailbox with IMAP APPEND."""
    dovecot.append(mail_user[0], mail_user[1], list(mails), mailbox=mailbox)


def receive(db, inbox_id: int, *mails: bytes):
    """Mails straight into the pipeline the fetcher uses (no IMAP): one batch, one outcome each."""
    return ingest(db, inbox_id, [RawMail(m, source="test") for m in mails])
