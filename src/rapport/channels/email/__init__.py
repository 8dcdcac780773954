"""The email channel: IMAP fetching (and optional SMTP receiving) into conversations, replies sent by SMTP.

Importing it registers its ChannelAdapter (sender, settings check, connection summary) and exposes `router`
(the quarantine API). `fetch_once(db, inbox_id)` fetches an inbox's mailbox once; `EmailRuntime` keeps every
email inbox fetched inside `rapport serve`.
"""

from __future__ import annotations

from rapport.channels.email import settings as _settings
from rapport.channels.email.api import router
from rapport.channels.email.fetcher import FetchStats, fetch_once
from rapport.channels.email.pipeline import Outcome, RawMail, ingest
from rapport.channels.email.runtime import EmailRuntime
from rapport.channels.email.sender import send
from rapport.kernel.channels import Adapter, register

register(Adapter("email", check=_settings.check, status=_settings.status, sender=send))

__all__ = ["EmailRuntime", "FetchStats", "Outcome", "RawMail", "fetch_once", "ingest", "router", "send"]
