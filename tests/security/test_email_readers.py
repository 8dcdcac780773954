"""Mail larger than RAPPORT_EMAIL_READ_INLINE_BYTES is read in another process: the server holds neither the GIL nor
a transaction while it is read, a read past RAPPORT_EMAIL_MAX_PARSE_SECONDS is killed with its process, and a reader
that dies quarantines its mail. Nothing here times the machine: a hanging reader never finishes, a held one waits
for the test, so each outcome is decided before any bound could be reached by chance (BUDGET is only a safety net).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import smtplib
import threading

import pytest
from sqlalchemy import select

from rapport.channels.email import readers, reading
from rapport.channels.email.pipeline import RawMail, ingest
from rapport.channels.email.smtp_in import SmtpReceiver
from rapport.models import EmailReceipt, Message
from tests.channels.email.mails import mail
from tests.conftest import World, free_port
from tests.security import mail_readers

BUDGET = 120.0  # seconds to wait for something that happens in milliseconds (a safety net, never the assertion)
BIG_HTML = "<p>Hello <b>there</b>, about my order</p>" * 2000  # about 80 KB


@pytest.fixture(autouse=True)
def unhurried(settings):
    """No read here is cut short by the clock unless a test says so: a busy machine reads slowly, never wrongly."""
    settings.email_max_parse_seconds = 3600


@pytest.fixture
def use_pool():
    """Install a one-process pool with a test reader (`use_pool(reader)`); stopped and replaced afterwards."""
    installed = []

    def install(reader):
        pool = readers.Pool(1, reader)
        installed.append((pool, readers.use(pool)))
        return pool

    yield install
    for pool, previous in reversed(installed):
        pool.shutdown()
        readers.use(previous)


def _big(settings, **kwargs) -> bytes:
    raw = mail(html=BIG_HTML, **kwargs)
    assert len(raw) > settings.email_read_inline_bytes  # read by a reader process, not here
    return raw


def _message(db, message_id: int) -> Message:
    with db.read() as s:
        return s.get(Message, message_id)


def _receipt(db, outcome) -> EmailReceipt:
    with db.read() as s:
        return s.scalars(select(EmailReceipt).order_by(EmailReceipt.id.desc()).limit(1)).one()


def test_a_large_mail_is_read_in_another_process_and_stored_the_same(db, world, settings, use_pool):
    raw = _big(settings)
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(raw, source="test")])
    assert outcome.outcome == "message"
    pids = readers.pool().pids()
    assert pids and os.getpid() not in pids
    here = reading.read(raw)
    stored = _message(db, outcome.message_id)
    assert stored.body_html == here.html and here.html_sanitized  # the same as read in this process
    use_pool(mail_readers.stamped)
    (stamped,) = ingest(db, world.email_inbox.id, [RawMail(_big(settings), source="test")])
    reader = int(_message(db, stamped.message_id).body_text.removeprefix("read by process "))
    assert reader != os.getpid() and reader in readers.pool().pids()


def test_a_small_mail_is_read_here(db, world, settings, use_pool):
    use_pool(mail_readers.killed)  # a reader process would die on it
    raw = mail(html="<p>Hi</p>", subject="Crash")
    assert len(raw) <= settings.email_read_inline_bytes
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(raw, source="test")])
    assert outcome.outcome == "message" and readers.pool().pids() == []


def test_every_mail_is_read_here_with_no_reader_processes(db, world, settings, use_pool):
    settings.email_read_processes = 0
    use_pool(mail_readers.killed)
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(_big(settings, subject="Crash"), source="test")])
    assert outcome.outcome == "message" and readers.pool().pids() == []


def test_a_read_past_the_time_bound_is_killed_and_quarantined(db, world, settings, use_pool):
    settings.email_max_parse_seconds = 0.5  # any bound: the hanging read never ends by itself
    pids = multiprocessing.get_context("forkserver").SimpleQueue()
    pool = use_pool(functools.partial(mail_readers.hanging, pids))
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(_big(settings, subject="Hang"), source="test")])
    assert (outcome.outcome, outcome.reason) == ("quarantined", "too_slow")
    assert "RAPPORT_EMAIL_MAX_PARSE_SECONDS" in outcome.detail
    receipt = _receipt(db, outcome)
    assert receipt.reason == "too_slow" and receipt.raw_sha256  # kept, raw bytes and all
    hung = pids.get()
    with pytest.raises(ProcessLookupError):
        os.kill(hung, 0)  # the reader was killed (and reaped), not left running
    settings.email_max_parse_seconds = 3600  # the next read must not depend on how fast a busy machine reads
    (next_one,) = ingest(db, world.email_inbox.id, [RawMail(_big(settings), source="test")])
    assert next_one.outcome == "message"
    assert pids.get() != hung and len(pool.pids()) == 1  # a new reader took its place


@pytest.mark.parametrize(
    ("reader", "said"), [(mail_readers.killed, "SIGKILL"), (mail_readers.out_of_memory, "MemoryError")]
)
def test_a_reader_that_dies_quarantines_its_mail(db, world, settings, use_pool, reader, said):
    use_pool(reader)
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(_big(settings, subject="Crash"), source="test")])
    assert (outcome.outcome, outcome.reason) == ("quarantined", "read_failed")
    assert said in outcome.detail
    assert _receipt(db, outcome).reason == "read_failed"
    (next_one,) = ingest(db, world.email_inbox.id, [RawMail(_big(settings), source="test")])
    assert next_one.outcome == "message"


def test_writes_and_the_web_go_on_while_a_mail_is_read(db, world, settings, client, use_pool):
    """While a reader holds a mail, another inbound mail commits and the API answers; then the mail is stored."""
    context = multiprocessing.get_context("forkserver")
    started, release = context.Event(), context.Event()
    use_pool(functools.partial(mail_readers.held, started, release))
    outcomes = []
    big = threading.Thread(
        target=lambda: outcomes.extend(ingest(db, world.email_inbox.id, [RawMail(_big(settings), source="test")])),
        daemon=True,
    )
    big.start()
    try:
        assert started.wait(BUDGET)  # the reader process has the mail and holds it
        small = mail(frm="Other <other@customer.test>", html="<p>Another mail</p>")
        (other,) = ingest(db, world.email_inbox.id, [RawMail(small, source="test")])
        assert other.outcome == "message"  # committed while the large mail is being read
        body = {"inbox_id": world.api_inbox.id, "sender": {"kind": "email", "address": "api@customer.test"}}
        r = client.post("/api/v1/messages/inbound", json=body | {"text": "hi"}, headers=World.auth(world.agent_token))
        assert r.status_code == 201, r.text
        assert outcomes == [] and big.is_alive()  # all of it happened during the read
    finally:
        release.set()
        big.join(BUDGET)
    assert [o.outcome for o in outcomes] == ["message"]


def test_a_read_cut_short_by_shutdown_fails_and_quarantines_nothing(db, world, settings, use_pool):
    """Stopping the readers mid-read is not the mail's fault: the caller fails (SMTP answers 451, IMAP tries again)."""
    context = multiprocessing.get_context("forkserver")
    started, release = context.Event(), context.Event()
    pool = use_pool(functools.partial(mail_readers.held, started, release))
    failures = []

    def receive():
        try:
            ingest(db, world.email_inbox.id, [RawMail(_big(settings), source="test")])
        except RuntimeError as exc:
            failures.append(str(exc))

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    assert started.wait(BUDGET)
    pool.shutdown()
    reader.join(BUDGET)
    assert failures and "stopped" in failures[0]
    with db.read() as s:
        assert s.scalars(select(EmailReceipt)).all() == []


def test_a_mail_received_by_smtp_is_read_in_a_reader_killed_at_the_bound(db, world, settings, use_pool):
    """The SMTP receiver goes through the same readers: the hanging read is killed, the mail kept, 250 answered."""
    settings.email_max_parse_seconds = 0.5
    pids = multiprocessing.get_context("forkserver").SimpleQueue()
    use_pool(functools.partial(mail_readers.hanging, pids))
    receiver = SmtpReceiver(db, "127.0.0.1", free_port())
    receiver.start()
    try:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=BUDGET) as client:
            assert client.sendmail("jo@customer.test", ["help@example.com"], _big(settings, subject="Hang")) == {}
    finally:
        receiver.stop()
    assert pids.get() != os.getpid()
    with db.read() as s:
        receipt = s.scalars(select(EmailReceipt)).one()
    assert (receipt.source, receipt.outcome, receipt.reason) == ("smtp", "quarantined", "too_slow")
    assert "RAPPORT_EMAIL_MAX_PARSE_SECONDS" in receipt.detail
