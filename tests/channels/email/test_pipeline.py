"""The pipeline every mail goes through (`ingest`): dedupe, threading, reply tokens, bodies and attachments."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from rapport.channels.email import pipeline, tokens
from rapport.config import get_settings
from rapport.kernel.permissions import SYSTEM
from rapport.kit import blobs
from rapport.models import Attachment, Conversation, EmailReceipt, Message
from tests.channels.email.conftest import receive
from tests.channels.email.mails import mail


def _count(db, model, *where) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _message(db, message_id: int) -> Message:
    with db.read() as s:
        return s.get(Message, message_id)


# Deduplication


def test_the_same_mail_twice_is_stored_once(db, bare_inbox):
    raw = mail(message_id="same@customer.test")
    (first,) = receive(db, bare_inbox.id, raw)
    (second,) = receive(db, bare_inbox.id, raw)
    assert (first.outcome, second.outcome) == ("message", "duplicate")
    assert second.message_id == first.message_id
    assert _count(db, Message) == 1 and _count(db, EmailReceipt) == 2


def test_the_same_mail_delivered_by_another_route_is_a_duplicate(db, bare_inbox):
    raw = mail(message_id="same@customer.test")
    relayed = b"Received: from relay.example by mx.example; Mon, 2 Nov 2026 09:00:01 +0000\r\n" + raw
    first, second = receive(db, bare_inbox.id, raw, relayed)
    assert (first.outcome, second.outcome) == ("message", "duplicate")


def test_without_a_message_id_the_raw_hash_dedupes(db, bare_inbox):
    raw = mail(message_id=None)
    (first,) = receive(db, bare_inbox.id, raw)
    (second,) = receive(db, bare_inbox.id, raw)
    (other,) = receive(db, bare_inbox.id, mail(message_id=None, text="A different question"))
    assert (first.outcome, second.outcome, other.outcome) == ("message", "duplicate", "message")
    assert _message(db, first.message_id).external_id.startswith("sha256:")


def test_a_reused_message_id_with_other_content_is_another_mail(db, bare_inbox):
    (first,) = receive(db, bare_inbox.id, mail(message_id="reused@broken.test", text="First question"))
    (second,) = receive(db, bare_inbox.id, mail(message_id="reused@broken.test", text="Second question"))
    (again,) = receive(db, bare_inbox.id, mail(message_id="reused@broken.test", text="Second question"))
    assert (first.outcome, second.outcome, again.outcome) == ("message", "message", "duplicate")
    assert first.message_id != second.message_id == again.message_id


def test_dedupe_is_per_inbox(db, bare_inbox):
    from rapport.inboxes import service as inboxes

    with db.write() as s:
        other = inboxes.create(s, SYSTEM, name="Sales email", channel="email", address="sales@example.com")
    raw = mail(message_id="cc@customer.test")
    (a,) = receive(db, bare_inbox.id, raw)
    (b,) = receive(db, other.id, raw)
    assert (a.outcome, b.outcome) == ("message", "message")


# Threading


def _open_second(db, inbox_id):
    """Two active conversations for Jo: the first reopened by hand after the second began."""
    (first,) = receive(db, inbox_id, mail(message_id="first@customer.test", subject="First matter"))
    with db.write() as s:
        conv = s.get(Conversation, first.conversation_id)
        conv.status = "on_hold"
        customer_id = conv.customer_id
    with db.write() as s:
        second = Conversation(
            subject="Second matter",
            status="open",
            priority="normal",
            channel="email",
            inbox_id=inbox_id,
            customer_id=customer_id,
            custom_fields={},
            reopen_count=0,
            message_count=0,
            created_at=conv.created_at,
            updated_at=conv.updated_at.replace(year=2030),
        )
        s.add(second)
        s.flush()
        second_id = second.id
    return first.conversation_id, second_id


def test_in_reply_to_threads_into_the_conversation_replied_to(db, bare_inbox):
    first_id, newest_id = _open_second(db, bare_inbox.id)
    (plain,) = receive(db, bare_inbox.id, mail(subject="Anything"))
    assert plain.conversation_id == newest_id  # without a reference, the latest active conversation
    (reply,) = receive(db, bare_inbox.id, mail(subject="Re: First matter", in_reply_to="first@customer.test"))
    assert reply.conversation_id == first_id


def test_references_thread_when_in_reply_to_is_unknown(db, bare_inbox):
    first_id, _ = _open_second(db, bare_inbox.id)
    raw = mail(in_reply_to="unknown@elsewhere.test", references=["first@customer.test", "unknown@elsewhere.test"])
    (reply,) = receive(db, bare_inbox.id, raw)
    assert reply.conversation_id == first_id


def test_a_signed_reply_token_threads_the_reply(db, bare_inbox):
    first_id, _ = _open_second(db, bare_inbox.id)
    # A token for a message the database does not know: only its signature can place the reply.
    token = tokens.message_id(first_id, 987654, "example.com")
    (reply,) = receive(db, bare_inbox.id, mail(subject="Re: something", in_reply_to=token))
    assert reply.conversation_id == first_id


def test_the_subject_number_threads_the_reply(db, bare_inbox):
    first_id, _ = _open_second(db, bare_inbox.id)
    (reply,) = receive(db, bare_inbox.id, mail(subject=f"Re: First matter [#{first_id}]"))
    assert reply.conversation_id == first_id


def test_a_forged_token_never_posts_as_an_agent_or_into_another_conversation(db, world, bare_inbox):
    (alice,) = receive(db, bare_inbox.id, mail(frm="Alice <alice@customer.test>", subject="Alice's refund"))
    good = tokens.message_id(alice.conversation_id, 1, "example.com")
    local, domain = good.split("@")
    forged = local[: local.rindex(".") + 1] + "a" * 24 + "@" + domain
    assert tokens.read(forged) is None and tokens.looks_like_token(forged)
    spoofs = [
        # The agent's own address in From, a forged token, the conversation number in the subject.
        mail(frm="Alex Agent <alex@example.com>", subject=f"Re: refund [#{alice.conversation_id}]", in_reply_to=forged),
        # Someone else with a forged token, and with a genuine token they should not have.
        mail(frm="Mallory <mallory@evil.test>", subject="Re: refund", in_reply_to=forged),
        mail(frm="Mallory <mallory@evil.test>", subject="Re: refund", references=[good]),
    ]
    outcomes = receive(db, bare_inbox.id, *spoofs)
    assert all(o.outcome == "message" and o.conversation_id != alice.conversation_id for o in outcomes)
    with db.read() as s:
        for o in outcomes:
            m = s.get(Message, o.message_id)
            assert (m.author_kind, m.agent_id, m.direction) == ("customer", None, "inbound")
        assert s.get(Conversation, alice.conversation_id).message_count == 1


def test_a_reply_to_our_mail_from_its_customer_threads_by_token(db, bare_inbox):
    (first,) = receive(db, bare_inbox.id, mail(subject="Where is it?"))
    token = tokens.message_id(first.conversation_id, first.message_id, "example.com")
    (reply,) = receive(db, bare_inbox.id, mail(subject="Re: Where is it?", references=[token]))
    assert reply.conversation_id == first.conversation_id


# Bodies and attachments


def test_quoted_replies_and_signatures_are_cut_from_the_visible_body_but_kept_raw(db, bare_inbox):
    text = (
        "Thanks, that fixed it.\n\n-- \nJo Customer\nACME Ltd\n\n"
        "On Mon, 2 Nov 2026 at 10:00, Support <help@example.com> wrote:\n> Please restart the router.\n"
    )
    raw = mail(text=text)
    (out,) = receive(db, bare_inbox.id, raw)
    m = _message(db, out.message_id)
    assert m.body_text == "Thanks, that fixed it."
    stored = blobs.blob_path(get_settings().mail_dir, m.meta["email"]["raw_sha256"]).read_bytes()
    assert stored == raw and b"Please restart the router." in stored


def test_html_is_sanitised_and_remote_images_are_blocked(db, bare_inbox):
    html = (
        '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>'
        '<img src="https://tracker.example/pixel.gif"><img src="cid:logo@x"><a href="javascript:x()">link</a>'
    )
    (out,) = receive(db, bare_inbox.id, mail(text="Hi there", html=html))
    stored = _message(db, out.message_id).body_html
    assert "<b>there</b>" in stored and "cid:logo@x" in stored
    for bad in ("script", "onclick", "tracker.example", "javascript:"):
        assert bad not in stored


def test_attachments_are_stored_and_svg_is_never_served_inline(db, world, bare_inbox, client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    raw = mail(attachments=[("notes.txt", "text/plain", b"a note"), ("logo.svg", "image/svg+xml", svg)])
    (out,) = receive(db, bare_inbox.id, raw)
    with db.read() as s:
        files = {a.filename: a for a in s.scalars(select(Attachment).where(Attachment.message_id == out.message_id))}
    assert set(files) == {"notes.txt", "logo.svg"} and files["notes.txt"].size == 6
    r = client.get(f"/api/v1/attachments/{files['logo.svg'].id}", headers=world.auth(world.agent_token))
    assert r.status_code == 200 and r.content == svg
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["content-type"] == "application/octet-stream"


def test_attachment_limits_quarantine_the_mail(db, bare_inbox, settings):
    settings.max_attachments_per_message, settings.max_attachment_bytes = 1, 100
    files = [("a.txt", "text/plain", b"a"), ("b.txt", "text/plain", b"b")]
    too_many, too_big = receive(
        db, bare_inbox.id, mail(attachments=files), mail(attachments=[("big.bin", "application/pdf", b"x" * 200)])
    )
    assert (too_many.outcome, too_many.reason) == ("quarantined", "oversized")
    assert "RAPPORT_MAX_ATTACHMENTS_PER_MESSAGE" in too_many.detail
    assert (too_big.outcome, too_big.reason) == ("quarantined", "oversized")
    assert "RAPPORT_MAX_ATTACHMENT_BYTES" in too_big.detail
    assert _count(db, Conversation) == 0


def test_an_oversized_mail_is_quarantined(db, bare_inbox, settings):
    settings.email_max_message_bytes = 2048
    (out,) = receive(db, bare_inbox.id, mail(text="x" * 5000))
    assert (out.outcome, out.reason) == ("quarantined", "oversized")
    assert "RAPPORT_EMAIL_MAX_MESSAGE_BYTES" in out.detail


def test_an_unreadable_mail_is_quarantined(db, bare_inbox):
    nested = b"From: jo@customer.test\r\nSubject: deep\r\n"
    for depth in range(80):
        nested += f'Content-Type: multipart/mixed; boundary="b{depth}"\r\n\r\n--b{depth}\r\n'.encode()
    nested += b"Content-Type: text/plain\r\n\r\nbottom\r\n"
    no_sender = b"Subject: who?\r\n\r\nhello\r\n"
    deep, anonymous = receive(db, bare_inbox.id, nested, no_sender)
    assert (deep.outcome, deep.reason) == ("quarantined", "unparseable")
    assert (anonymous.outcome, anonymous.reason) == ("quarantined", "no_sender")


def test_an_empty_mail_still_becomes_a_message(db, bare_inbox):
    (out,) = receive(db, bare_inbox.id, mail(text=""))
    assert _message(db, out.message_id).body_text == "(empty message)"


def test_a_mailing_is_a_message_that_is_never_answered_automatically(db, bare_inbox):
    (out,) = receive(db, bare_inbox.id, mail(headers={"Precedence": "bulk"}))
    meta = _message(db, out.message_id).meta
    assert out.outcome == "message" and meta["no_auto_reply"] is True and meta["email"]["kind"] == "bulk"


def test_header_values_are_cleaned_before_storing(db, bare_inbox):
    raw = (
        b"From: =?utf-8?q?Jo=0D=0ABcc=3A_evil=40x=2Etest?= <jo@customer.test>\r\n"
        b"Subject: =?utf-8?q?a=0D=0Ab?=\r\nMessage-ID: <crlf@customer.test>\r\n\r\nHello\r\n"
    )
    (out,) = receive(db, bare_inbox.id, raw)
    with db.read() as s:
        conv = s.get(Conversation, out.conversation_id)
        from rapport.models import Customer

        name = s.get(Customer, conv.customer_id).name
    assert "\r" not in name and "\n" not in name and "\n" not in conv.subject and "\r" not in conv.subject


def test_a_mail_the_database_refuses_never_holds_up_the_others(db, bare_inbox, monkeypatch):
    real = pipeline.receive_batch

    def picky(session, items):
        if any(inbound.subject == "poison" for _, inbound in items):
            raise IntegrityError("INSERT …", {}, Exception("value too long"))
        return real(session, items)

    monkeypatch.setattr(pipeline, "receive_batch", picky)
    outcomes = receive(db, bare_inbox.id, *[mail(subject=s) for s in ("one", "poison", "three", "four")])
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("message", None),
        ("quarantined", "refused"),
        ("message", None),
        ("message", None),
    ]
    assert "value too long" in outcomes[1].detail


def test_a_database_that_is_away_fails_the_batch_for_a_later_retry(db, bare_inbox, monkeypatch):
    def away(session, items):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(pipeline, "receive_batch", away)
    with pytest.raises(OperationalError):
        receive(db, bare_inbox.id, mail(), mail(subject="two"))
    assert _count(db, EmailReceipt) == 0


def test_overlong_header_values_are_cut_to_fit(db, bare_inbox):
    long_id = "x" * 400 + "@customer.test"
    raw = (
        f'From: "{"N" * 1000}" <jo@customer.test>\r\nSubject: {"S" * 2000}\r\nMessage-ID: <{long_id}>\r\n'
        f"In-Reply-To: <{long_id}>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="X"\r\n\r\n'
        "--X\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        f'--X\r\nContent-Type: application/{"z" * 300}\r\nContent-Disposition: attachment; filename="{"f" * 1000}.pdf"'
        "\r\n\r\nabc\r\n--X--\r\n"
    ).encode()
    (out,) = receive(db, bare_inbox.id, raw)
    assert out.outcome == "message"
    (again,) = receive(db, bare_inbox.id, raw)
    assert again.outcome == "duplicate"
    with db.read() as s:
        (att,) = s.scalars(select(Attachment)).all()
    assert len(att.filename) <= 255 and len(att.declared_content_type) <= 127
