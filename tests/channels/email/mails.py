"""Building test mails with the standard library."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid


def mail(
    *,
    frm: str = "Jo Customer <jo@customer.test>",
    to: str = "help@example.com",
    subject: str = "My order",
    text: str = "Hello, where is my order?",
    html: str | None = None,
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """A raw mail; message_id="auto" makes a fresh one, None leaves the header out."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    if message_id == "auto":
        message_id = make_msgid(domain="customer.test")
    if message_id:
        msg["Message-ID"] = message_id if message_id.startswith("<") else f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
