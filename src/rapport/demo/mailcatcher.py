"""The demo's mail catcher: a loopback SMTP server that keeps what Rapport sends, for the page /demo/mail.

`rapport demo` starts it and points the demo's email inboxes and the system mail (RAPPORT_SMTP_HOST/PORT) at it,
so a reply shows "delivered" and a portal customer can follow their sign-in link without a real mail server.
Each caught mail is one file in <data dir>/demo-mail (it survives restarts); only the newest
RAPPORT_DEMO_MAIL_KEEP are kept.
"""

from __future__ import annotations

import email.policy
import itertools
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

from rapport.kit.html import to_text

FOLDER = "demo-mail"
_LINK = re.compile(r"https?://[^\s<>\"')\]]+")
_HREF = re.compile(r"""href\s*=\s*["'](https?://[^"'<>\s]+)["']""", re.I)
_counter = itertools.count()
_lock = threading.Lock()


@dataclass(frozen=True)
class Part:
    """A piece of a shown body: plain text, or a link (href set) to render as an anchor."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class CaughtMail:
    """One caught mail as the page shows it."""

    id: str
    received_at: datetime
    mail_from: str
    to: str
    subject: str
    parts: tuple[Part, ...]
    was_html: bool


def folder(data_dir: Path) -> Path:
    """Where the caught mail of a data directory lives."""
    return Path(data_dir) / FOLDER


def store(data_dir: Path, raw: bytes, *, mail_from: str, rcpt_tos: list[str], keep: int) -> Path:
    """Keep one mail (with its envelope) as a file, then drop the oldest beyond `keep`."""
    target = folder(data_dir)
    target.mkdir(parents=True, exist_ok=True)
    envelope = f"X-Catcher-Mail-From: {_one_line(mail_from)}\r\nX-Catcher-Rcpt-To: {_one_line(', '.join(rcpt_tos))}\r\n"
    with _lock:
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(_counter):06d}.eml"
        partial = target / (name + ".partial")
        partial.write_bytes(envelope.encode("utf-8", "replace") + raw)
        partial.rename(target / name)  # the page never reads half a mail
        for old in sorted(target.glob("*.eml"))[:-keep]:
            old.unlink(missing_ok=True)
    return target / name


def caught(data_dir: Path, *, limit: int | None = None) -> list[CaughtMail]:
    """The caught mail, newest first."""
    files = sorted(folder(data_dir).glob("*.eml"), reverse=True)
    return [_read(path) for path in files[:limit]]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _read(path: Path) -> CaughtMail:
    message = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
    text, was_html = _body(message)
    received = datetime.fromtimestamp(int(path.name.split("-")[0]) / 1e9, tz=UTC)
    return CaughtMail(
        id=path.stem,
        received_at=received,
        mail_from=str(message.get("From") or message.get("X-Catcher-Mail-From") or ""),
        to=str(message.get("X-Catcher-Rcpt-To") or message.get("To") or ""),
        subject=str(message.get("Subject") or "(no subject)"),
        parts=tuple(linkify(text)),
        was_html=was_html,
    )


def _body(message: EmailMessage) -> tuple[str, bool]:
    """The text to show (an HTML body as text, its links listed after it), and whether the body was HTML."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", False
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding: show what bytes there are
        content = (body.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if body.get_content_subtype() != "html":
        return content, False
    links = list(dict.fromkeys(_HREF.findall(content)))
    text = to_text(content)
    if links:
        text += "\n\nLinks:\n" + "\n".join(links)
    return text, True


def linkify(text: str) -> list[Part]:
    """`text` split into plain pieces and http(s) links, for a template that escapes each piece."""
    parts, at = [], 0
    for match in _LINK.finditer(text):
        if match.start() > at:
            parts.append(Part(text[at : match.start()]))
        href = match.group().rstrip(".,;:!?")
        parts.append(Part(href, href))
        at = match.start() + len(href)
    if at < len(text):
        parts.append(Part(text[at:]))
    return parts


class _Handler:
    def __init__(self, data_dir: Path, keep: int):
        self.data_dir, self.keep = data_dir, keep

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        """Keep the mail; a failure to write answers 451 so the sender retries."""
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            store(self.data_dir, raw, mail_from=envelope.mail_from or "", rcpt_tos=envelope.rcpt_tos, keep=self.keep)
        except OSError:
            return "451 4.3.0 The mail catcher could not store the mail"
        return "250 2.0.0 OK: caught"


class MailCatcher:
    """A loopback SMTP server (aiosmtpd, on its own thread) storing every mail it receives into the data directory."""

    def __init__(self, data_dir: Path, *, keep: int, max_bytes: int, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or _free_port()
        self.controller = Controller(
            _Handler(Path(data_dir), keep),
            hostname=self.host,
            port=self.port,
            data_size_limit=max_bytes,
            decode_data=False,
        )

    def start(self) -> MailCatcher:
        """Start listening."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
