"""The system's own mail (sign-in and verification links): queued in the transaction, sent by the worker.

Channel replies go out through their inbox's sender; this is for mail Rapport itself writes to a person.
Header values go through `kit.headers` as replies' do: decoded and on one line, the address parsed strictly, and
the built message checked so that no value becomes a header of its own.
"""

from __future__ import annotations

import smtplib
from email.errors import MessageDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit import headers
from rapport.kit.problems import Invalid
from rapport.kit.ratelimit import MailAllowance, mail_target
from rapport.worker import queue
from rapport.worker.runner import handler


def send_system_mail(
    session: Session, *, to: str, subject: str, text: str, allowance: MailAllowance, key: str | None = None
) -> None:
    """Queue a plain-text mail to `to`, sent after commit; `key` makes a repeat a no-op.

    `allowance` (kit.ratelimit.limit_mail) proves the mail was counted against the per-address and per-client
    limits: no action can send mail to an address someone typed without them.
    """
    if any(c in value for value in (to, subject) for c in "\r\n"):
        raise Invalid("A mail address or subject cannot contain line breaks.", errors=[{"field": "to"}])
    try:
        Address(addr_spec=to)
    except (ValueError, IndexError, MessageDefect):
        raise Invalid(f"'{headers.one_line(to)[:320]}' is not a mail address.", errors=[{"field": "to"}]) from None
    if allowance.target != mail_target(to):
        raise ValueError(f"The mail allowance is for {allowance.target}, not {to}.")
    queue.enqueue(session, "mail.system", {"to": to, "subject": subject, "text": text}, dedupe_key=key)


def compose(to: str, subject: str, text: str) -> EmailMessage:
    """The message as it goes out, From the configured RAPPORT_MAIL_FROM."""
    settings = get_settings()
    message = EmailMessage(policy=headers.STRICT)
    message["From"] = headers.one_line(settings.mail_from)
    message["To"] = Address(addr_spec=headers.one_line(to))
    message["Subject"] = headers.header_text(subject)
    message["Message-ID"] = make_msgid(domain="rapport.local")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer it
    message.set_content(text)
    headers.check(message)
    return message


@handler("mail.system", outside_transaction=True)
def deliver(_db, payload: dict) -> None:
    """Send one queued system mail over SMTP (RAPPORT_SMTP_*), with no transaction open; a failure retries."""
    settings = get_settings()
    message = compose(payload["to"], payload["subject"], payload["text"])
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)
