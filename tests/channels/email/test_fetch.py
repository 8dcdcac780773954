"""Fetching from a real IMAP server (Dovecot): batches, \\Seen after commit, crash safety, IDLE, TLS."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rapport.app import create_app
from rapport.channels.email import fetch_once, pipeline, repository
from rapport.channels.email.fetcher import MailboxWatcher
from rapport.channels.email.imap import ImapClient, ImapError
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import EmailReceipt, Message
from tests.channels.email.conftest import deliver
from tests.channels.email.mails import mail


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_fetch_once_stores_every_new_mail_and_flags_it_seen(db, inbox, dovecot, mail_user):
    deliver(dovecot, mail_user, *[mail(subject=f"Question {i}", frm=f"c{i}@customer.test") for i in range(5)])
    stats = fetch_once(db, inbox.id, batch_size=2)
    assert (stats.fetched, stats.message, stats.batches) == (5, 5, 3)
    assert _count(db, Message) == 5
    client = dovecot.connect(*mail_user)
    client.select("INBOX")
    assert client.uid("SEARCH", None, "UNSEEN")[1] == [b""]
    client.logout()
    again = fetch_once(db, inbox.id)
    assert again.fetched == 0 and _count(db, Message) == 5


def _unseen(dovecot, mail_user, mailbox="INBOX") -> int:
    client = dovecot.connect(*mail_user)
    try:
        client.select(f'"{mailbox}"')
        found = client.uid("SEARCH", None, "UNSEEN")[1][0]
        return len(found.split())
    finally:
        client.logout()


def _in_mailbox(dovecot, mail_user, mailbox) -> int:
    client = dovecot.connect(*mail_user)
    try:
        typ, data = client.select(f'"{mailbox}"')
        return int(data[0])
    finally:
        client.logout()


def test_a_crash_between_fetch_and_commit_loses_nothing_and_duplicates_nothing(
    db, inbox, dovecot, mail_user, monkeypatch
):
    deliver(dovecot, mail_user, *[mail(subject=f"Crash test {i}") for i in range(6)])
    real = pipeline.receive

    def crash_after_fetch(*args, **kwargs):
        real(*args, **kwargs)  # everything written in the transaction …
        raise RuntimeError("the process died before its commit")  # … and then no commit

    monkeypatch.setattr(pipeline, "receive", crash_after_fetch)
    with pytest.raises(RuntimeError, match="before its commit"):
        fetch_once(db, inbox.id, batch_size=4)
    assert _count(db, Message) == 0 and _count(db, EmailReceipt) == 0
    assert _unseen(dovecot, mail_user) == 6  # nothing was flagged: the server still offers all of them
    monkeypatch.setattr(pipeline, "receive", real)
    stats = fetch_once(db, inbox.id, batch_size=4)
    assert (stats.message, stats.duplicate) == (6, 0)
    assert _count(db, Message) == 6 and _unseen(dovecot, mail_user) == 0


def test_a_crash_after_commit_before_flagging_duplicates_nothing(db, inbox, dovecot, mail_user, monkeypatch):
    deliver(dovecot, mail_user, *[mail(subject=f"Flag test {i}") for i in range(3)])

    def crash(self, uids):
        raise ConnectionResetError("the connection dropped before STORE \\Seen")

    monkeypatch.setattr(ImapClient, "mark_seen", crash)
    with pytest.raises(ConnectionResetError):
        fetch_once(db, inbox.id)
    assert _count(db, Message) == 3 and _unseen(dovecot, mail_user) == 3
    monkeypatch.undo()
    deliver(dovecot, mail_user, mail(subject="One more"))
    stats = fetch_once(db, inbox.id)
    assert (stats.fetched, stats.message) == (1, 1)  # the three stored ones are not fetched again …
    assert _count(db, Message) == 4 and _unseen(dovecot, mail_user) == 0  # … but they are flagged now


def test_fetched_mail_can_be_moved_instead_of_flagged(db, inbox, dovecot, mail_user):
    dovecot.create_mailbox(mail_user[0], "Processed")
    with db.write() as s:
        settings = {**inbox.settings, "imap": {**inbox.settings["imap"], "move_to": "Processed"}}
        inboxes.update(s, SYSTEM, inbox.id, settings=settings)
    deliver(dovecot, mail_user, mail(subject="Move me"), mail(subject="Me too"))
    stats = fetch_once(db, inbox.id)
    assert stats.message == 2
    assert _in_mailbox(dovecot, mail_user, "INBOX") == 0 and _in_mailbox(dovecot, mail_user, "Processed") == 2


def test_a_renumbered_mailbox_duplicates_nothing(db, inbox, dovecot, mail_user):
    with db.write() as s:
        settings = {**inbox.settings, "imap": {**inbox.settings["imap"], "mailbox": "Support"}}
        inboxes.update(s, SYSTEM, inbox.id, settings=settings)
    mails = [mail(subject=f"Renumber {i}") for i in range(3)]
    deliver(dovecot, mail_user, *mails, mailbox="Support")
    assert fetch_once(db, inbox.id).message == 3
    client = dovecot.connect(*mail_user)
    client.delete('"Support"')  # the server recreates the folder: a new UIDVALIDITY, UIDs from 1 again
    client.logout()
    deliver(dovecot, mail_user, *mails, mail(subject="Really new"), mailbox="Support")
    stats = fetch_once(db, inbox.id)
    assert (stats.fetched, stats.duplicate, stats.message) == (4, 3, 1)
    assert _count(db, Message) == 4


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_fetching_over_tls_and_starttls(db, inbox, dovecot, mail_user, security):
    with db.write() as s:
        settings = {**inbox.settings, "imap": dovecot.imap_settings(*mail_user, security=security)}
        inboxes.update(s, SYSTEM, inbox.id, settings=settings)
    deliver(dovecot, mail_user, mail(subject="Encrypted"))
    assert fetch_once(db, inbox.id).message == 1


def test_a_server_whose_certificate_is_not_trusted_is_refused(db, inbox, dovecot, mail_user):
    with db.write() as s:
        imap = dovecot.imap_settings(*mail_user, security="tls")
        imap.pop("ca_file")
        inboxes.update(s, SYSTEM, inbox.id, settings={**inbox.settings, "imap": imap})
    with pytest.raises(ImapError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch_once(db, inbox.id)


def test_a_second_fetcher_waits_for_the_lease(db, inbox, dovecot, mail_user):
    deliver(dovecot, mail_user, mail())
    with db.write() as s:
        assert repository.take_lease(s, inbox.id, "INBOX", "someone-else", seconds=60)
    assert fetch_once(db, inbox.id).busy is True
    with db.write() as s:
        repository.release_lease(s, inbox.id, "INBOX", "someone-else")
    assert fetch_once(db, inbox.id).message == 1


def _wait_for(db, count: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _count(db, Message) >= count:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("idle", [True, False])
def test_the_watcher_picks_up_new_mail_by_idle_or_polling(db, settings, inbox, dovecot, mail_user, idle):
    # With IDLE, every other way a pass could start (the poll, the periodic pass, a lease slice) is an hour away:
    # the second mail can only come through the server's IDLE notification. No wall-clock bound is needed.
    settings.email_lease_seconds = 3600 if idle else settings.email_lease_seconds
    with db.write() as s:
        imap = {**inbox.settings["imap"], "idle": idle, "poll_seconds": 3600 if idle else 1}
        inboxes.update(s, SYSTEM, inbox.id, settings={**inbox.settings, "imap": imap})
    deliver(dovecot, mail_user, mail(subject="Before the watcher"))
    watcher = MailboxWatcher(db, inbox.id, idle_seconds=3600 if idle else 120.0)
    watcher.start()
    try:
        assert _wait_for(db, 1)
        deliver(dovecot, mail_user, mail(subject="While watching"))
        assert _wait_for(db, 2, seconds=60)
    finally:
        watcher.stop()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_the_watcher_reconnects_after_the_server_drops_it(db, inbox, dovecot, mail_user, monkeypatch):
    calls = {"n": 0}
    real = ImapClient.connect

    def flaky(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ImapError("connection refused")
        real(self)

    monkeypatch.setattr(ImapClient, "connect", flaky)
    deliver(dovecot, mail_user, mail())
    watcher = MailboxWatcher(db, inbox.id)
    watcher.start()
    try:
        assert _wait_for(db, 1, seconds=15)
    finally:
        watcher.stop()
        watcher.join(timeout=10)
    assert calls["n"] >= 2


def test_serve_fetches_email_inboxes_when_the_worker_runs(db, settings, inbox, dovecot, mail_user):
    deliver(dovecot, mail_user, mail(subject="Through rapport serve"))
    app = create_app(settings, db=db, run_worker=True)
    with TestClient(app):
        assert _wait_for(db, 1)
    with TestClient(create_app(settings, db=db, run_worker=False)):
        deliver(dovecot, mail_user, mail(subject="No worker, no fetching"))
        time.sleep(0.5)
        assert _count(db, Message) == 1


def test_an_empty_mailbox_fetches_nothing(db, inbox):
    stats = fetch_once(db, inbox.id)
    assert (stats.fetched, stats.batches, stats.busy) == (0, 0, False)


def test_idle_over_tls(db, settings, inbox, dovecot, mail_user):
    settings.email_lease_seconds = 3600  # only the IDLE notification can start the second pass (see above)
    with db.write() as s:
        imap = {**dovecot.imap_settings(*mail_user, security="tls"), "idle": True, "poll_seconds": 3600}
        inboxes.update(s, SYSTEM, inbox.id, settings={**inbox.settings, "imap": imap})
    watcher = MailboxWatcher(db, inbox.id, idle_seconds=3600)
    watcher.start()
    try:
        time.sleep(0.3)
        deliver(dovecot, mail_user, mail(subject="Encrypted and idle"))
        assert _wait_for(db, 1, seconds=60)
    finally:
        watcher.stop()
        watcher.join(timeout=10)
