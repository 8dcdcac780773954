"""Sending replies by SMTP: the email adapter's sender, called by the `messages.deliver` job.

The reply goes from the inbox's address with the agent's name ("Alex Agent via Support"), to the address the
customer wrote from (or a Reply-To that is theirs), threaded under their last mail (In-Reply-To, References), as
text and HTML alternatives plus the message's attachments. Its Message-ID is the signed reply token, fixed for
the message: it is stored as the message's external id, and a marker file written right after the server
accepts the mail means a retried job (after a crash before its commit) does not send it again. `send` only
composes, in the job's transaction; the SMTP conversation runs after that transaction committed (an Outgoing),
so a slow mail server holds no writer's turn. The reply's Cc addresses (checked when it was written,
conversations/composer.py) are a Cc header and recipients; its Bcc addresses are recipients of the SMTP envelope
only, never a header. Every header value (names, subject) goes through
`kit.headers.header_text`: encoded words decoded, control characters and line breaks removed; ids that are not
plain Message-IDs are left out; the built mail is checked header by header and refused if one would not come out
as one header (`kit.headers.check`).
"""

from __future__ import annotations

import hashlib
import re
import smtplib
from email.errors import MessageDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.channels.email import connect, tokens
from rapport.channels.email.imap import tls_context
from rapport.channels.email.settings import SmtpSettings, is_loopback, parse
from rapport.config import get_settings
from rapport.conversations import reply_options
from rapport.conversations.tasks import Outgoing, Undeliverable
from rapport.customers.identities import normalise
from rapport.kit import blobs, headers, netguard
from rapport.kit import html as htmlkit
from rapport.kit.headers import message_id_ok
from rapport.kit.problems import Invalid
from rapport.models import Agent, Attachment, Conversation, Customer, Identity, Inbox, Message
from rapport.models.enums import AuthorKind, Direction

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|réf|rif)\s*:", re.IGNORECASE)
_MAX_REFERENCES = 10


class HeaderInjection(Undeliverable):  # noqa: N818
    """A header value with a line break in it: refused, never sent."""


def send(session: Session, message: Message) -> Outgoing:
    """Compose one outbound message of an email inbox; the returned Outgoing sends it (idempotent for the message)."""
    conv = session.get(Conversation, message.conversation_id)
    inbox = session.get(Inbox, message.inbox_id or conv.inbox_id)
    if inbox is None or inbox.channel != "email" or not inbox.address:
        raise Undeliverable("The conversation's inbox is not an email inbox with an address to send from.")
    try:
        settings = parse(inbox.settings)
    except Invalid as exc:
        raise Undeliverable(exc.detail) from None
    smtp, from_name = settings.smtp, settings.from_name or inbox.name
    if smtp is None:
        raise Undeliverable(f"Email inbox '{inbox.name}' has no SMTP settings (settings.smtp) to send with.")
    parent = _parent(session, conv)
    to_address, to_name = _recipient(session, conv, parent, message)
    domain = inbox.address.rsplit("@", 1)[-1]
    mid = tokens.message_id(conv.id, message.id, domain)
    agent = session.get(Agent, message.agent_id) if message.agent_id else None
    email_meta = (message.meta or {}).get("email") or {}
    cc, bcc = list(email_meta.get("cc") or []), list(email_meta.get("bcc") or [])
    envelope = list(dict.fromkeys([to_address, *cc, *bcc]))  # each mailbox once, To first
    mail = compose(
        session,
        message,
        from_address=inbox.address,
        from_name=f"{agent.name} via {from_name}" if agent else from_name,
        to_address=to_address,
        to_name=to_name,
        subject=_subject(conv, parent),
        message_id=mid,
        parent=parent,
        cc=cc,
    )
    return Outgoing(
        transmit=partial(_transmit, smtp, mail, inbox.address, envelope, mid),
        record=partial(_record, message_id=mid, to_address=to_address),
    )


def _transmit(smtp: SmtpSettings, mail: EmailMessage, from_address: str, envelope: list[str], mid: str) -> None:
    """The SMTP conversation, with no transaction open; the marker file makes a retry after a crash a no-op."""
    marker = _marker(mid)
    if not marker.exists():
        _deliver(smtp, mail, from_address, envelope)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(mid)


def _record(session: Session, message: Message, _result: None, *, message_id: str, to_address: str) -> None:
    message.external_id = message_id
    email_meta = (message.meta or {}).get("email") or {}
    message.meta = {**(message.meta or {}), "email": {**email_meta, "message_id": message_id, "to": to_address}}


def compose(
    session: Session,
    message: Message,
    *,
    from_address: str,
    from_name: str,
    to_address: str,
    to_name: str,
    subject: str,
    message_id: str,
    parent: Message | None,
    cc: list[str] | None = None,
) -> EmailMessage:
    """The mail as it goes out: headers checked for injection, text and HTML alternatives, attachments.

    `cc` become the Cc header; Bcc addresses never reach `compose` (they are only the envelope's).
    """
    email_meta = (parent.meta or {}).get("email", {}) if parent else {}
    parent_id = email_meta.get("message_id")
    parent_id = parent_id if message_id_ok(parent_id) else None
    # Ids come from the customer's mail: one that is no plain Message-ID is left out, never written raw.
    references = [r for r in email_meta.get("references", []) if message_id_ok(r)]
    references = [*references, *([parent_id] if parent_id else [])][-_MAX_REFERENCES:]
    if not message_id_ok(message_id):
        raise HeaderInjection(f"Refused to send: the Message-ID {message_id!r} is not a plain Message-ID.")
    mail = EmailMessage(policy=headers.STRICT)
    try:
        mail["From"] = Address(display_name=headers.header_text(from_name), addr_spec=from_address)
        mail["To"] = Address(display_name=headers.header_text(to_name), addr_spec=to_address)
        if cc:
            # Checked when the reply was written; a value with a line break must still never become a header.
            if any(headers.one_line(a) != a for a in cc):
                raise HeaderInjection("Refused to send: a Cc address contains a line break (header injection).")
            mail["Cc"] = [Address(addr_spec=a) for a in cc]
    except (ValueError, IndexError, MessageDefect) as exc:
        raise Undeliverable(f"Refused to send: an address is not valid ({exc}).") from None
    mail["Subject"] = headers.header_text(subject)
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = f"<{message_id}>"
    if parent_id:
        mail["In-Reply-To"] = f"<{parent_id}>"
    if references:
        mail["References"] = " ".join(f"<{r}>" for r in references)
    mail["X-Loop"] = from_address  # an inbound mail carrying it is our own come back: a loop
    mail["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    if message.author_kind != AuthorKind.agent:
        mail["Auto-Submitted"] = "auto-generated"
    text = message.body_text or htmlkit.to_text(message.body_html or "")
    mail.set_content(text or " ")
    mail.add_alternative(message.body_html or htmlkit.text_to_html(text or " "), subtype="html")
    root = get_settings().attachments_dir
    for att in session.scalars(select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id)):
        maintype, _, subtype = (att.declared_content_type or att.content_type or "").partition("/")
        data = blobs.blob_path(root, att.sha256).read_bytes()
        mail.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=headers.header_text(att.filename) or "attachment",
        )
    try:
        headers.check(mail)
    except headers.UnsafeHeader as exc:
        raise HeaderInjection(f"Refused to send: {exc} (header injection).") from None
    return mail


def _parent(session: Session, conv: Conversation) -> Message | None:
    """The customer's latest mail in the conversation: the one this reply answers."""
    # Only the conversation's own customer's mail: one merged in from another customer (before such merges were
    # refused) must never draw a reply to that other customer.
    return session.scalar(
        select(Message)
        .where(
            Message.conversation_id == conv.id,
            Message.customer_id == conv.customer_id,
            Message.direction == Direction.inbound.value,
            Message.channel == "email",
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


def _recipient(session: Session, conv: Conversation, parent: Message | None, message: Message) -> tuple[str, str]:
    # Anyone can write a Reply-To, so a forged mail's must never draw the answer away unseen: it is used only when
    # it is one of the customer's addresses or the agent confirmed it for this reply (reply_options).
    customer = session.get(Customer, conv.customer_id)
    email_meta = (parent.meta or {}).get("email", {}) if parent else {}
    address = email_meta.get("from")
    if email_meta.get("reply_to"):
        unknown = reply_options.unknown_reply_to(session, conv.customer_id, email_meta)
        confirmed = ((message.meta or {}).get("email") or {}).get("confirmed_reply_to")
        if unknown is None or confirmed == unknown.address:
            address = unknown.address if unknown else email_meta["reply_to"]
    if not address:
        address = session.scalar(
            select(Identity.address)
            .where(Identity.customer_id == conv.customer_id, Identity.kind == "email")
            .order_by(Identity.id)
            .limit(1)
        )
    if not address:
        raise Undeliverable(f"Customer {conv.customer_id} has no email address to reply to.")
    try:
        address = normalise("email", address)
    except Invalid:
        raise Undeliverable(f"'{address}' is not an email address to reply to.") from None
    return address, customer.name if customer else ""


def _subject(conv: Conversation, parent: Message | None) -> str:
    subject = (conv.subject or "").strip() or "Your message"
    if not _REPLY_PREFIX.match(subject):
        subject = f"Re: {subject}"
    if f"[#{conv.id}]" not in subject:
        subject = f"{subject} [#{conv.id}]"
    return subject


def _marker(message_id: str):
    digest = hashlib.sha256(message_id.encode()).hexdigest()
    return get_settings().mail_dir / "sent" / digest[:2] / digest


def _deliver(cfg: SmtpSettings, mail: EmailMessage, from_address: str, envelope: list[str]) -> None:
    if cfg.security == "plain" and not is_loopback(cfg.host):
        raise Undeliverable(f"plain SMTP is only allowed to a loopback host, not '{cfg.host}'")
    try:
        # Through the SSRF guard, to the address it checked (channels/email/connect.py).
        client = connect.smtp(cfg, tls_context(cfg.ca_file) if cfg.security == "tls" else None)
        with client:
            if cfg.security == "starttls":
                client.starttls(context=tls_context(cfg.ca_file))
            if cfg.username:
                client.login(cfg.username, cfg.password or "")
            client.send_message(mail, from_addr=from_address, to_addrs=envelope)
    except netguard.Refused as exc:
        raise Undeliverable(f"Not sent: {exc.detail}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise Undeliverable(f"The SMTP server refused the recipient: {exc.recipients}") from None
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise Undeliverable(f"The SMTP server refused the mail: {exc.smtp_code} {exc.smtp_error!r}") from None
        raise
