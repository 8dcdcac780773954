"""System mail: queued with the transaction, delivered by the worker to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from rapport.kit.problems import Invalid
from rapport.kit.ratelimit import MailAllowance
from rapport.mail.mailer import send_system_mail
from rapport.worker.runner import run_due

ALLOWED = MailAllowance("pat@example.net")  # what kit.ratelimit.limit_mail hands out after counting the mail


def test_system_mail_is_sent_after_commit_once(db, smtp_server):
    with db.write() as s:
        mail = {"to": "pat@example.net", "subject": "Your link", "text": "Open https://x/y", "allowance": ALLOWED}
        send_system_mail(s, **mail, key="link:1")
        send_system_mail(s, **mail, key="link:1")
    assert smtp_server.messages == []  # nothing leaves inside the transaction
    run_due(db)
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert (got["To"], got["Subject"], got["Auto-Submitted"]) == ("pat@example.net", "Your link", "auto-generated")
    assert "https://x/y" in got.get_payload()


def test_header_injection_is_refused(db):
    with db.write() as s, pytest.raises(Invalid, match="line breaks"):
        send_system_mail(s, to="pat@example.net\r\nBcc: all@example.net", subject="x", text="y", allowance=ALLOWED)


def test_a_mail_without_its_allowance_is_refused(db):
    with db.write() as s, pytest.raises(ValueError, match="allowance"):
        send_system_mail(s, to="someone.else@example.net", subject="x", text="y", allowance=ALLOWED)
