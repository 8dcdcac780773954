"""Mail that no person wrote: auto-replies, bounces, loops, and the per-sender rate limit against mail bombs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.conversations import service as conversations
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, EmailReceipt, Job, Message
from rapport.worker.runner import run_due
from tests.channels.email.conftest import receive
from tests.channels.email.mails import mail


def _count(db, model, *where) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _replied(db, world, inbox) -> tuple[int, Message]:
    """A customer's mail and an agent's reply, sent through the SMTP server: (conversation id, the reply)."""
    (first,) = receive(db, inbox.id, mail(message_id="question@customer.test"))
    with db.write() as s:
        actor = world_actor(s, world)
        reply = conversations.reply(s, actor, first.conversation_id, text="We are on it.")
        reply_id = reply.id
    run_due(db)
    with db.read() as s:
        reply = s.get(Message, reply_id)
        assert reply.delivery_status == "sent" and reply.external_id.startswith("rapport.")
    return first.conversation_id, reply


def world_actor(session, world):
    """The agent Alex as an acting session user."""
    from rapport.kernel.permissions import Actor
    from rapport.models.enums import Role

    return Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")


def dsn(returned_message_id: str, *, action: str = "failed", sender: str = "MAILER-DAEMON@mx.customer.test") -> bytes:
    """A delivery status notification (RFC 3464) returning the headers of the mail it could not deliver."""
    return (
        f"From: Mail Delivery System <{sender}>\r\n"
        "To: help@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.customer.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.test\r\n\r\n"
        f"Final-Recipient: rfc822; jo@customer.test\r\nAction: {action}\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: help@example.com\r\nTo: jo@customer.test\r\nMessage-ID: <{returned_message_id}>\r\n\r\n"
        "--B--\r\n"
    ).encode()


def test_an_auto_reply_is_recorded_on_its_conversation_and_never_answered(db, world, inbox):
    conv_id, reply = _replied(db, world, inbox)
    jobs_before = _count(db, Job)
    auto = mail(
        subject="Automatic reply: Re: My order",
        text="I am out of the office until Monday.",
        in_reply_to=reply.external_id,
        headers={"Auto-Submitted": "auto-replied"},
    )
    (out,) = receive(db, inbox.id, auto)
    assert (out.outcome, out.reason, out.conversation_id) == ("recorded", "auto_reply", conv_id)
    assert _count(db, Message) == 2 and _count(db, Conversation) == 1  # no message, no conversation
    assert _count(db, Job) == jobs_before  # nothing queued to answer it


def test_auto_reply_headers_are_recognised(db, bare_inbox):
    signals = [
        {"Auto-Submitted": "auto-generated"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "vacation"},
        {"Precedence": "auto_reply"},
        {"Return-Path": "<>"},
    ]
    outcomes = receive(db, bare_inbox.id, *[mail(headers=h, subject=f"auto {i}") for i, h in enumerate(signals)])
    assert [(o.outcome, o.reason) for o in outcomes] == [("quarantined", "auto_reply")] * len(signals)
    assert _count(db, Conversation) == 0
    (human,) = receive(db, bare_inbox.id, mail(headers={"Auto-Submitted": "no"}))
    assert human.outcome == "message"


def test_a_bounce_marks_the_reply_failed_and_opens_nothing(db, world, inbox):
    conv_id, reply = _replied(db, world, inbox)
    (out,) = receive(db, inbox.id, dsn(reply.external_id))
    assert (out.outcome, out.reason, out.conversation_id) == ("recorded", "bounce", conv_id)
    with db.read() as s:
        failed = s.get(Message, reply.id)
        assert failed.delivery_status == "failed" and "5.1.1" in failed.delivery_error
    assert _count(db, Conversation) == 1 and _count(db, Message) == 2


def test_a_bounce_never_opens_a_conversation(db, bare_inbox):
    delayed, unknown, daemon = receive(
        db,
        bare_inbox.id,
        dsn("rapport.1.1.aaaaaaaaaaaaaaaaaaaaaaaa@example.com", action="delayed"),
        dsn("not-ours@elsewhere.test"),
        mail(frm="postmaster@mx.customer.test", subject="Delivery failure", text="could not deliver"),
    )
    assert [(o.outcome, o.reason) for o in (delayed, unknown, daemon)] == [("quarantined", "bounce")] * 3
    assert _count(db, Conversation) == 0 and _count(db, Message) == 0


def test_reports_are_not_messages(db, bare_inbox):
    mdn = (
        b"From: jo@customer.test\r\nSubject: Read: My order\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="R"\r\n\r\n'
        b"--R\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n"
        b"--R\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        b"--R--\r\n"
    )
    (out,) = receive(db, bare_inbox.id, mdn)
    assert (out.outcome, out.reason) == ("quarantined", "report")


def test_our_own_mail_coming_back_is_a_loop(db, world, inbox):
    _, reply = _replied(db, world, inbox)
    echoed = mail(frm="robot@customer.test", message_id=reply.external_id, subject="Re: My order")
    x_loop = mail(frm="robot@customer.test", headers={"X-Loop": "help@example.com"})
    ourselves = mail(frm="Support <help@example.com>", subject="Hello from ourselves")
    outcomes = receive(db, inbox.id, echoed, x_loop, ourselves)
    assert [(o.outcome, o.reason) for o in outcomes] == [("quarantined", "loop")] * 3


def test_a_loop_between_two_auto_responders_is_stopped(db, world, inbox, settings, smtp_server):
    """A vacation responder answers everything we send; we must never answer it back, so the ping-pong ends.

    Round 1: our reply goes out; the responder answers it (auto-replied) -> recorded, nothing queued.
    A careless responder without any auto headers keeps writing -> after the per-sender limit it is quarantined.
    And a responder echoing our own mail back -> a loop, quarantined.
    """
    settings.email_max_per_sender_per_hour = 5
    conv_id, reply = _replied(db, world, inbox)
    sent_before = len(smtp_server.messages)
    polite = [
        mail(frm="robot@customer.test", in_reply_to=reply.external_id, headers={"Auto-Submitted": "auto-replied"})
        for _ in range(3)
    ]
    careless = [mail(frm="robot@customer.test", subject=f"Re: My order #{i}") for i in range(10)]
    outcomes = receive(db, inbox.id, *polite, *careless)
    assert [o.outcome for o in outcomes[:3]] == ["recorded"] * 3
    kinds = [(o.outcome, o.reason) for o in outcomes[3:]]
    assert kinds == [("message", None)] * 5 + [("quarantined", "rate_limited")] * 5
    run_due(db)
    assert len(smtp_server.messages) == sent_before  # nothing was sent back automatically
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "messages.deliver")) == 0


def test_the_per_sender_rate_limit(db, bare_inbox, settings, frozen_clock):
    settings.email_max_per_sender_per_hour = 3
    outcomes = receive(db, bare_inbox.id, *[mail(subject=f"bomb {i}") for i in range(5)])
    assert [o.outcome for o in outcomes] == ["message"] * 3 + ["quarantined"] * 2
    assert "RAPPORT_EMAIL_MAX_PER_SENDER_PER_HOUR=3" in outcomes[-1].detail
    (other,) = receive(db, bare_inbox.id, mail(frm="someone@else.test"))
    assert other.outcome == "message"
    frozen_clock[0] += timedelta(minutes=61)
    (later,) = receive(db, bare_inbox.id, mail(subject="an hour later"))
    assert later.outcome == "message"
    with db.read() as s:
        reasons = s.scalars(select(EmailReceipt.reason).where(EmailReceipt.outcome == "quarantined")).all()
    assert reasons == ["rate_limited", "rate_limited"]


def test_a_solved_conversation_is_not_reopened_by_an_auto_reply(db, world, inbox):
    conv_id, reply = _replied(db, world, inbox)
    with db.write() as s:
        conversations.update(s, SYSTEM, conv_id, conversations.Changes(status="solved"))
    auto = mail(in_reply_to=reply.external_id, headers={"X-Autoreply": "yes"})
    (out,) = receive(db, inbox.id, auto)
    assert out.outcome == "recorded"
    with db.read() as s:
        assert s.get(Conversation, conv_id).status == "solved"
