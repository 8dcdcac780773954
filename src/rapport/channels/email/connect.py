"""Opening an email inbox's IMAP and SMTP connections through the SSRF guard (kit.netguard).

The server's name is resolved and checked right before each connection (public addresses only, unless the
inbox's `allow_private` allows private networks for that server), and the socket goes to the address that was
checked, never to a second lookup: a DNS answer that changes in between cannot send the password elsewhere. TLS
still verifies the certificate against the name.
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl

from rapport.channels.email.settings import ImapSettings, SmtpSettings
from rapport.kit import netguard


def checked_address(cfg: ImapSettings | SmtpSettings, what: str) -> str:
    """The address to connect to for `cfg.host`, resolved and checked now; netguard.Refused otherwise."""
    key = what.lower()
    address = netguard.check_host(
        cfg.host,
        cfg.port,
        allow_private=cfg.allow_private,
        what=f"The {what} host",
        allowance=f"this server (settings.{key}.allow_private)",
        field=f"settings.{key}.host",
    )
    return str(address)


class _PinnedImap(imaplib.IMAP4):
    """IMAP4 whose socket goes to a checked address; self.host stays the name (TLS checks it)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        self._address = address
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self._address, self.port), timeout)


class _PinnedImapTls(imaplib.IMAP4_SSL):
    """IMAP4 over TLS to a checked address, verifying the certificate against the name."""

    def __init__(self, host: str, port: int, *, address: str, ssl_context: ssl.SSLContext, timeout: float):
        self._address = address
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self._address, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def imap(cfg: ImapSettings, context: ssl.SSLContext | None) -> imaplib.IMAP4:
    """A connected (not logged-in) IMAP4 client: TLS with `context`, else plain (STARTTLS is the caller's)."""
    address = checked_address(cfg, "IMAP")
    if context is not None:
        return _PinnedImapTls(cfg.host, cfg.port, address=address, ssl_context=context, timeout=cfg.timeout)
    return _PinnedImap(cfg.host, cfg.port, address=address, timeout=cfg.timeout)


class _PinnedSmtp(smtplib.SMTP):
    """SMTP whose socket goes to a checked address; STARTTLS verifies the certificate against the name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float, **kwargs):
        self._address = address
        super().__init__(host, port, timeout=timeout, **kwargs)

    def _get_socket(self, host, port, timeout):
        return socket.create_connection((self._address, port), timeout, self.source_address)


class _PinnedSmtpTls(smtplib.SMTP_SSL, _PinnedSmtp):
    """SMTP over TLS to a checked address (SMTP_SSL wraps the pinned socket, checking the name)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext):
        self._address = address
        smtplib.SMTP_SSL.__init__(self, host, port, timeout=timeout, context=context)


def smtp(cfg: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    """A connected SMTP client: implicit TLS with `context`, else plain (STARTTLS is the caller's)."""
    address = checked_address(cfg, "SMTP")
    if context is not None:
        return _PinnedSmtpTls(cfg.host, cfg.port, address=address, timeout=cfg.timeout, context=context)
    return _PinnedSmtp(cfg.host, cfg.port, address=address, timeout=cfg.timeout)
