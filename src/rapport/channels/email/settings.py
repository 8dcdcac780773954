"""An email inbox's settings (its `settings` JSON): IMAP to fetch from, SMTP to send through, validated."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rapport.kernel.channels import Connection
from rapport.kit import netguard
from rapport.kit.problems import Invalid

Security = Literal["tls", "starttls", "plain"]
_MAILBOX = re.compile(r"^[\x20-\x7e]{1,200}$")
# An authserv-id as receiving servers write it: a host name (letters, digits, '.', '-', '_').
AuthservId = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")]
MAX_TRUSTED_AUTHSERV_IDS = 10


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1): the only hosts plain text may go to."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Server(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    host: Annotated[str, Field(min_length=1, max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)]
    security: Security = "tls"
    username: Annotated[str, Field(max_length=320)] | None = None
    password: Annotated[str, Field(max_length=1000)] | None = None
    # A CA bundle (PEM file) to trust instead of the system's, e.g. for a private CA.
    ca_file: str | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] = 60.0
    # The SSRF guard (kit.netguard) refuses loopback, private and link-local servers unless an admin allows
    # private networks for this one (a mail server on the LAN).
    allow_private: bool = False

    @model_validator(mode="after")
    def _plain_only_on_loopback(self):
        if self.security == "plain" and not is_loopback(self.host):
            raise ValueError(
                f"security 'plain' sends the password unencrypted, so it is only allowed to a loopback host "
                f"(127.0.0.1, ::1, localhost), not '{self.host}'; use 'tls' or 'starttls'"
            )
        return self


class ImapSettings(_Server):
    """Where to fetch mail: the server, the mailbox, and where to move fetched mail (else it is marked \\Seen)."""

    port: Annotated[int, Field(ge=1, le=65535)] = 993
    username: Annotated[str, Field(min_length=1, max_length=320)]
    password: Annotated[str, Field(max_length=1000)]
    mailbox: Annotated[str, Field(pattern=_MAILBOX.pattern)] = "INBOX"
    move_to: Annotated[str, Field(pattern=_MAILBOX.pattern)] | None = None
    idle: bool = True  # use IDLE when the server offers it
    poll_seconds: Annotated[float, Field(ge=1, le=3600)] = 60.0
    batch_size: Annotated[int, Field(ge=1, le=2000)] = 200


class SmtpSettings(_Server):
    """Where replies are sent."""

    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Security = "starttls"


class EmailSettings(BaseModel):
    """The whole `settings` object of an email inbox; both halves are optional."""

    model_config = ConfigDict(extra="forbid")

    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None
    # The name after "via" in the From of replies ("Alex Agent via Support"); the inbox's name by default.
    from_name: Annotated[str, Field(max_length=100)] | None = None
    # Sender authentication (channels/email/authres.py): the receiving servers whose Authentication-Results are
    # believed, and what becomes of a mail whose From they do not authenticate.
    trusted_authserv_ids: Annotated[list[AuthservId], Field(max_length=MAX_TRUSTED_AUTHSERV_IDS)] = []
    unverified_sender: Literal["new_conversation", "quarantine"] = "new_conversation"

    @field_validator("trusted_authserv_ids")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(v.lower() for v in value))


def parse(settings: dict | None) -> EmailSettings:
    """The validated settings; raises Invalid naming each wrong field."""
    try:
        return EmailSettings.model_validate(settings or {})
    except ValidationError as exc:
        errors = [
            {
                "field": "settings." + ".".join(str(p) for p in e["loc"]),
                "message": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Invalid(f"The email inbox settings are not valid: {listed}.", errors=errors) from None


def check(settings: dict) -> dict:
    """Validate an email inbox's settings for storing (the SETTINGS hook); returns them unchanged."""
    parsed = parse(settings)
    for key, server in (("imap", parsed.imap), ("smtp", parsed.smtp)):
        if server is not None:
            # What needs no DNS lookup (no network I/O in the transaction); every connection checks it all again.
            netguard.check_static(
                server.host,
                allow_private=server.allow_private,
                what=f"The {key.upper()} host",
                allowance=f"this server (settings.{key}.allow_private)",
                field=f"settings.{key}.host",
            )
    return settings


def status(settings: dict) -> Connection:
    """How far an email inbox is connected: IMAP to receive, SMTP to send replies (the STATUS hook)."""
    try:
        parsed = parse(settings)
    except Invalid:
        return Connection("partial", "The settings are not valid; open the inbox to correct them.")
    # Without a trusted authserv-id a forged From is not noticed; say so where the admin looks.
    unchecked = "" if parsed.trusted_authserv_ids else " Senders are not authenticated (no trusted authserv-id)."
    if parsed.imap and parsed.smtp:
        return Connection("ready", f"Fetches from {parsed.imap.host}, sends through {parsed.smtp.host}.{unchecked}")
    if parsed.imap:
        return Connection(
            "partial", f"Fetches from {parsed.imap.host}; replies cannot be sent without SMTP.{unchecked}"
        )
    if parsed.smtp:
        return Connection("partial", f"Sends through {parsed.smtp.host}; no IMAP mailbox is fetched.")
    return Connection("missing", "Not connected: add IMAP and SMTP settings.")
