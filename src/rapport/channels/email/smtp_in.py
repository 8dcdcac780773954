"""Receiving mail by SMTP (aiosmtpd): RCPT TO must name an active email inbox's address, and DATA is answered
250 only after the mail went through `ingest` and its transaction committed (451 otherwise, so the sender
retries: nothing is acknowledged that is not stored).
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.controller import Controller

from rapport.channels.email import repository
from rapport.channels.email.pipeline import RawMail, ingest
from rapport.config import get_settings
from rapport.customers.identities import normalise
from rapport.db.session import Database
from rapport.kit.problems import Invalid

log = logging.getLogger(__name__)


class Handler:
    """aiosmtpd hooks: accept recipients that are our inboxes, store DATA before answering."""

    def __init__(self, db: Database):
        self.db = db

    def _inboxes(self) -> dict[str, int]:
        with self.db.read() as session:
            return {(i.address or "").lower(): i.id for i in repository.email_inboxes(session) if i.address}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        """Accept a recipient only when it is an active email inbox."""
        try:
            wanted = normalise("email", address)
        except Invalid:
            return "553 5.1.3 That is not a valid address"
        inboxes = await asyncio.get_running_loop().run_in_executor(None, self._inboxes)
        if wanted not in inboxes:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(wanted)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        """Store the mail for every recipient inbox; 250 only once it is committed."""
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        # The envelope sender, as a delivering server would record it: an empty one marks bounces.
        sender = (envelope.mail_from or "").strip().strip("<>")
        raw = f"Return-Path: <{sender}>\r\n".encode("utf-8", "replace") + raw
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._store, raw, list(envelope.rcpt_tos))
        except Exception:  # noqa: BLE001  (the sender will retry: a temporary failure loses nothing)
            log.exception("a mail received by SMTP could not be stored")
            return "451 4.3.0 The mail could not be stored; try again later"
        return "250 2.0.0 OK: stored"

    def _store(self, raw: bytes, recipients: list[str]) -> None:
        inboxes = self._inboxes()
        for inbox_id in dict.fromkeys(inboxes[r] for r in recipients if r in inboxes):
            ingest(self.db, inbox_id, [RawMail(raw, source="smtp")])


class SmtpReceiver:
    """An SMTP server on its own thread (aiosmtpd's Controller) feeding `ingest`."""

    def __init__(self, db: Database, host: str, port: int):
        self.controller = Controller(
            Handler(db),
            hostname=host,
            port=port,
            data_size_limit=get_settings().email_max_message_bytes,
            decode_data=False,
        )

    @classmethod
    def from_listen(cls, db: Database, listen: str) -> SmtpReceiver:
        """From RAPPORT_EMAIL_SMTP_LISTEN, "host:port"."""
        host, _, port = listen.rpartition(":")
        return cls(db, host.strip("[]") or "127.0.0.1", int(port))

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.controller.port

    def start(self) -> None:
        """Listen."""
        self.controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()
