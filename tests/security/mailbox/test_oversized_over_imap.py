"""A mail over RAPPORT_EMAIL_MAX_MESSAGE_BYTES on the IMAP server is never downloaded: its header (a partial fetch)
is enough to quarantine it with the reason, and the mails beside it are stored as usual."""

from __future__ import annotations

from sqlalchemy import select

from rapport.channels.email import fetch_once
from rapport.channels.email.imap import ImapClient
from rapport.models import EmailReceipt, Message
from tests.channels.email.conftest import deliver
from tests.channels.email.mails import mail


def test_an_oversized_mail_is_quarantined_from_its_header_alone(db, settings, inbox, dovecot, mail_user, monkeypatch):
    settings.email_max_message_bytes = 8192
    big = mail(subject="Huge attachment", frm="big@customer.test", text="BODYMARK " * 20_000)
    deliver(dovecot, mail_user, mail(subject="Small", frm="small@customer.test"), big)
    bodies: list[int] = []
    fetch = ImapClient.fetch

    def recording(self, uids):
        bodies.extend(uids)
        return fetch(self, uids)

    monkeypatch.setattr(ImapClient, "fetch", recording)
    stats = fetch_once(db, inbox.id)
    assert (stats.fetched, stats.message, stats.quarantined) == (2, 1, 1)
    assert len(bodies) == 1  # only the small mail's body crossed the wire
    with db.read() as s:
        receipt = s.scalars(select(EmailReceipt).where(EmailReceipt.outcome == "quarantined")).one()
        assert s.scalar(select(Message.body_text)).startswith("Hello")
    assert receipt.reason == "oversized" and receipt.raw_size > 8192  # the size the server gave
    assert "on the server" in receipt.detail and "RAPPORT_EMAIL_MAX_MESSAGE_BYTES" in receipt.detail
    again = fetch_once(db, inbox.id)  # flagged like any handled mail: not fetched again
    assert again.fetched == 0
