"""One small mail must not stall the server: quote detection in linear time, HTML bounded in size and depth before
anything parses it, reading bounded in time, and all of it done with no write transaction open.

A bound hit is asserted by its outcome (the quarantine reason and the setting it names) and by the work not done
(the sanitiser never called); the cost of quote detection as the CPU time it takes, against a budget hundreds of
times what the linear code needs (CPU time, not the wall clock: a busy machine does not make it grow).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from rapport.channels.email import quotes, reading
from rapport.channels.email.pipeline import RawMail, ingest
from rapport.customers import service as customers
from rapport.kernel.permissions import SYSTEM
from rapport.kit import html as htmlkit
from rapport.models import EmailReceipt, Message
from tests.channels.email.mails import mail
from tests.conftest import World

DASHES = "<p>Hello</p><p>" + "-" * 40_000 + "</p>"  # the quadratic pattern took 15-30 s on this (ms now)
NESTED = "<div>" * 100_000 + "deep" + "</div>" * 100_000
BUDGET = 30.0  # seconds another writer may wait before it counts as blocked (it waits milliseconds when free)
CPU_BUDGET = 2.0  # CPU seconds for work the linear code does in a few milliseconds (the quadratic took 15-50 s)


def _cpu_seconds(work) -> float:
    """The CPU time `work` costs this thread: work done, whatever else the machine is busy with."""
    started = time.thread_time()
    work()
    return time.thread_time() - started


@pytest.fixture
def sanitiser_calls(monkeypatch, db):
    """Each call of the sanitiser, with whether a write transaction (or SQLite's writer turn) was open then."""
    calls: list[bool] = []
    open_writes = [0]
    write, turn, sanitize = db.write, db.writer_turn, htmlkit.sanitize

    def held(inner):
        @contextmanager
        def wrapper(*args, **kwargs):
            open_writes[0] += 1
            try:
                with inner(*args, **kwargs) as value:
                    yield value
            finally:
                open_writes[0] -= 1

        return wrapper

    def spy(html, **kwargs):
        calls.append(open_writes[0] > 0)
        return sanitize(html, **kwargs)

    monkeypatch.setattr(db, "write", held(write))
    monkeypatch.setattr(db, "writer_turn", held(turn))
    monkeypatch.setattr(htmlkit, "sanitize", spy)
    return calls


def _receipt(db, outcome) -> EmailReceipt:
    with db.read() as s:
        return s.scalars(select(EmailReceipt).order_by(EmailReceipt.id.desc()).limit(1)).one()


def test_a_mail_of_dashes_is_read_in_linear_time(db, world):
    assert _cpu_seconds(lambda: quotes.strip_html(DASHES)) < CPU_BUDGET
    assert (
        _cpu_seconds(lambda: quotes.strip_html(DASHES + "<div>--- Original Message ---</div><p>old</p>")) < CPU_BUDGET
    )
    lines = "\n".join([" " * 60_000 + "x", "-" * 60_000, "Sent from my " + "a" * 60_000 + " b"] * 20)
    assert _cpu_seconds(lambda: quotes.strip_text(lines)) < CPU_BUDGET
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(text="Hello", html=DASHES), source="test")])
    assert outcome.outcome == "message"
    with db.read() as s:
        assert "-" * 1000 in s.get(Message, outcome.message_id).body_html


def test_the_quote_cut_still_finds_an_original_message_after_a_dash_run():
    html = "<p>New answer</p><p>" + "-" * 5000 + " Original Message -----</p><p>the old mail</p>"
    assert quotes.strip_html(html) == "<p>New answer</p>"


@pytest.mark.parametrize(
    "html",
    [
        NESTED,
        "<div></span>" * 30_000,  # end tags that close nothing: a parser ignores them, and the divs nest
        "".join(f"<div><b id={i}>x</div>" for i in range(3000)),  # unclosed b's, reopened after each div
    ],
    ids=["nested", "stray-end-tags", "reopened-formatting"],
)
def test_a_deeply_nested_mail_is_quarantined_unread(db, world, sanitiser_calls, html):
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(html=html), source="test")])
    assert (outcome.outcome, outcome.reason) == ("quarantined", "too_complex")
    assert "RAPPORT_MAX_HTML_DEPTH" in outcome.detail
    assert sanitiser_calls == []  # refused before the sanitiser (or quote stripping) read it


def test_nesting_within_the_bound_is_sanitised_and_stored(db, world, settings):
    settings.max_html_depth = 50
    (kept,) = ingest(db, world.email_inbox.id, [RawMail(mail(html="<div>" * 50 + "ok" + "</div>" * 50), source="test")])
    (deep,) = ingest(db, world.email_inbox.id, [RawMail(mail(html="<div>" * 51 + "no" + "</div>" * 51), source="test")])
    assert kept.outcome == "message" and (deep.outcome, deep.reason) == ("quarantined", "too_complex")


def test_html_over_the_size_bound_is_quarantined_unread(db, world, settings, sanitiser_calls):
    settings.max_html_chars = 10_000
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(html="<p>" + "x" * 20_000 + "</p>"), source="test")])
    assert (outcome.outcome, outcome.reason) == ("quarantined", "oversized")
    assert "RAPPORT_MAX_HTML_CHARS" in outcome.detail and sanitiser_calls == []
    assert _receipt(db, outcome).reason == "oversized"


def test_a_mail_over_the_size_limit_is_not_parsed(db, world, settings, monkeypatch):
    settings.email_max_message_bytes = 2048
    parsed_bodies = []
    real = reading.parse
    monkeypatch.setattr(reading, "parse", lambda raw, body=True: parsed_bodies.append(body) or real(raw, body=body))
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(subject="Big", text="x" * 4000), source="test")])
    assert (outcome.outcome, outcome.reason) == ("quarantined", "oversized")
    assert "RAPPORT_EMAIL_MAX_MESSAGE_BYTES" in outcome.detail and parsed_bodies == [False]
    assert _receipt(db, outcome).subject == "Big"  # its headers are still read, for the quarantine page


def test_reading_that_takes_too_long_is_quarantined(db, world, settings, monkeypatch):
    settings.email_max_parse_seconds = 5
    ticks = iter(range(0, 10_000, 4))  # every look at the clock, four seconds later
    monkeypatch.setattr(reading, "_clock", lambda: next(ticks))
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(html="<p>slow</p>"), source="test")])
    assert (outcome.outcome, outcome.reason) == ("quarantined", "too_slow")
    assert "RAPPORT_EMAIL_MAX_PARSE_SECONDS" in outcome.detail


def test_mail_is_sanitised_with_no_write_transaction_open(db, world, sanitiser_calls):
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(html="<p>Hi <b>there</b></p>"), source="test")])
    assert outcome.outcome == "message"
    assert sanitiser_calls == [False]  # once, and outside every write


def test_api_inbound_html_is_bounded_and_sanitised_outside_the_writer(db, world, client, settings, sanitiser_calls):
    body = {"inbox_id": world.api_inbox.id, "sender": {"kind": "email", "address": "jo@customer.test"}}
    auth = World.auth(world.agent_token)
    r = client.post("/api/v1/messages/inbound", json=body | {"html": NESTED}, headers=auth)
    assert r.status_code == 413 and "RAPPORT_MAX_HTML_DEPTH" in r.json()["detail"], r.text
    settings.max_html_chars = 10_000
    big = "<p>" + "x" * 20_000 + "</p>"
    r = client.post("/api/v1/messages/inbound", json=body | {"html": big}, headers=auth)
    assert r.status_code == 413 and "RAPPORT_MAX_HTML_CHARS" in r.json()["detail"], r.text
    assert sanitiser_calls == []
    r = client.post("/api/v1/messages/inbound", json=body | {"html": "<p>ok</p>"}, headers=auth)
    assert r.status_code == 201, r.text
    assert sanitiser_calls == [False]
    # Nobody without a token makes the server sanitise anything.
    r = client.post("/api/v1/messages/inbound", json=body | {"html": "<p>x</p>"}, headers=World.auth("nope"))
    assert r.status_code == 401 and sanitiser_calls == [False]


def test_other_writes_go_on_while_a_mail_is_sanitised(db, world, monkeypatch):
    """While the sanitiser works on a mail, another thread's write transaction commits (SQLite has one writer)."""
    sanitize, wrote = htmlkit.sanitize, []

    def other_write():
        with db.write() as s:
            customers.create(s, SYSTEM, identities=[("email", "other@customer.test")], name="Other")
        wrote.append(True)

    def slow_sanitize(html, **kwargs):
        writer = threading.Thread(target=other_write, daemon=True)
        writer.start()
        writer.join(BUDGET)  # a writer blocked by our transaction would wait here until the budget runs out
        return sanitize(html, **kwargs)

    monkeypatch.setattr(htmlkit, "sanitize", slow_sanitize)
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(html="<p>Hi</p>"), source="test")])
    assert outcome.outcome == "message" and wrote == [True]
