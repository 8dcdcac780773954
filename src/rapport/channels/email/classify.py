"""What kind of mail this is: a person's, a bulk mailing, an auto-reply, a report, a bounce, or our own mail.

Signals (RFC 3834 and common practice): `Auto-Submitted` other than `no`; `X-Autoreply`, `X-Autorespond` and
their cousins; `Precedence: auto_reply | bulk | junk | list`; `List-Id`; a `multipart/report` (delivery status:
a bounce; disposition notifications and feedback reports: a report); a mailer-daemon or postmaster sender;
`X-Failed-Recipients`; an empty `Return-Path`; our own Message-ID (a valid reply token) or too many
`Received` hops (a loop). None of these is ever answered automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from rapport.channels.email import authres, tokens

_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply", "x-auto-reply")
_DAEMONS = {"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster", "mail-delivery-system"}
_TOKEN_IN_TEXT = re.compile(r"rapport\.\d{1,18}\.\d{1,18}\.[a-z2-7]{24}@[^\s<>\"';,)]+")
_MSGID = re.compile(r"<([^<>\s]{1,998})>")
MAX_HOPS = 30


@dataclass
class Bounce:
    """What a delivery status notification says: the action, a readable detail, and the mail it returns."""

    action: str = "failed"
    detail: str = ""
    returned_ids: list[str] = field(default_factory=list)


def kind(msg: EmailMessage, sender: str | None, message_id: str | None) -> tuple[str, str]:
    """(kind, the signal that decided it): kind is normal, bulk, auto_reply, report, bounce or loop."""
    if message_id and tokens.read(message_id):
        return "loop", "its Message-ID is one of ours"
    hops = sum(1 for k, _ in msg.raw_items() if k.lower() == "received")
    if hops > MAX_HOPS:
        return "loop", f"{hops} Received headers (more than {MAX_HOPS})"
    ctype, report_type = _content_type(msg)
    local = (sender or "").split("@")[0]
    if ctype == "multipart/report" and report_type == "delivery-status":
        return "bounce", "a delivery status report"
    if local in _DAEMONS:
        return "bounce", f"sent by {local}"
    if _raw(msg, "x-failed-recipients"):
        return "bounce", "X-Failed-Recipients"
    if ctype == "multipart/report":
        return "report", f"a {report_type or 'multipart'} report"
    auto_submitted = _raw(msg, "auto-submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_reply", f"Auto-Submitted: {auto_submitted[:40]}"
    for name in _AUTO_HEADERS:
        if _raw(msg, name):
            return "auto_reply", name
    precedence = _raw(msg, "precedence").lower()
    if precedence in ("auto_reply", "auto-reply"):
        return "auto_reply", f"Precedence: {precedence}"
    if _raw(msg, "return-path").replace(" ", "") == "<>":
        return "auto_reply", "an empty Return-Path"
    if precedence in ("bulk", "junk", "list"):
        return "bulk", f"Precedence: {precedence}"
    if _raw(msg, "list-id") or _raw(msg, "list-unsubscribe"):
        return "bulk", "a mailing list"
    return "normal", ""


def auth_results(msg: EmailMessage) -> list[str]:
    """The `Authentication-Results` headers, topmost first, unfolded; at most authres.MAX_HEADERS, each bounded."""
    found: list[str] = []
    for key, value in msg.raw_items():
        if key.lower() == "authentication-results":
            # One character past the bound is kept, so the reader can tell a long header from a short one.
            found.append(" ".join(str(value)[: 2 * authres.MAX_HEADER_CHARS].split())[: authres.MAX_HEADER_CHARS + 1])
            if len(found) == authres.MAX_HEADERS:
                break
    return found


def bounce_details(msg: EmailMessage) -> Bounce:
    """Read a bounce's action and diagnostic, and the Message-IDs of the mail it returns."""
    bounce = Bounce()
    actions, details, ids = [], [], []
    for part in _walk(msg):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and part.is_multipart():
            for block in part.get_payload():
                action = _raw(block, "action").lower()
                if action:
                    actions.append(action)
                    recipient = _raw(block, "final-recipient").split(";")[-1].strip()
                    status = _raw(block, "status")
                    diagnostic = _raw(block, "diagnostic-code").split(";")[-1].strip()
                    details.append(" ".join(x for x in (status, recipient, diagnostic) if x))
        elif ctype == "message/rfc822" and part.is_multipart() and part.get_payload():
            ids += _ids(_raw(part.get_payload()[0], "message-id"))
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            ids += _ids(" ".join(line for line in _text(part).splitlines() if line.lower().startswith("message-id")))
        elif ctype == "text/plain":
            ids += _TOKEN_IN_TEXT.findall(_text(part))
    if actions:
        bounce.action = "failed" if "failed" in actions else actions[0][:16]
    bounce.detail = "; ".join(details)[:500] or "the mail could not be delivered"
    bounce.returned_ids = list(dict.fromkeys(ids))[:20]
    return bounce


def _walk(msg: EmailMessage, depth: int = 0):
    if depth > 20:
        return
    yield msg
    if msg.get_content_type().startswith("multipart/") and msg.is_multipart():
        for sub in msg.get_payload():
            yield from _walk(sub, depth + 1)


def _content_type(msg: EmailMessage) -> tuple[str, str]:
    try:
        return msg.get_content_type(), str(msg.get_param("report-type") or "").lower().strip('"')
    except Exception:  # noqa: BLE001
        return "application/octet-stream", ""


def _raw(msg: EmailMessage, name: str) -> str:
    """A header's raw value, unfolded and stripped ('' when absent): signals need no decoding."""
    for key, value in msg.raw_items():
        if key.lower() == name:
            return " ".join(str(value).split())
    return ""


def _text(part: EmailMessage) -> str:
    try:
        data = part.get_payload(decode=True)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(part.get_payload())
    except Exception:  # noqa: BLE001
        return ""


def _ids(value: str) -> list[str]:
    return [i for i in _MSGID.findall(value) if len(i) <= 250]
