"""Reading one raw mail before any transaction: parse, strip quotes, sanitise its HTML, within named bounds.

All the CPU a mail costs is spent here, on the calling thread (the fetcher's, or the SMTP receiver's executor,
never the event loop) and with no database transaction open, so a hostile mail holds no lock other writers wait
for. Each step is bounded: the raw size (RAPPORT_EMAIL_MAX_MESSAGE_BYTES) before parsing, the HTML's size and
nesting depth (RAPPORT_MAX_HTML_CHARS, RAPPORT_MAX_HTML_DEPTH) before quote stripping and sanitising, and the
time taken (RAPPORT_EMAIL_MAX_PARSE_SECONDS), checked after each step. A mail over a bound is read no further
and is quarantined with the reason (`Parsed.refused`); its raw bytes are kept as for any mail.
"""

from __future__ import annotations

import time

from rapport.channels.email.parse import Parsed, parse
from rapport.config import get_settings
from rapport.kit import html as htmlkit
from rapport.kit.problems import TooLarge

_clock = time.monotonic  # the one clock the time bound reads (tests replace it)


def read(raw: bytes) -> Parsed:
    """Parse one mail and sanitise its HTML; a mail over a bound comes back with `refused` set."""
    settings = get_settings()
    started, limit = _clock(), settings.email_max_parse_seconds
    size_limit = settings.email_max_message_bytes
    if len(raw) > size_limit:
        parsed = parse(raw, body=False)  # headers only: who sent it and what it is about, for the quarantine
        parsed.refused = (
            "oversized",
            f"The mail is {len(raw)} bytes; the limit is {size_limit} bytes (RAPPORT_EMAIL_MAX_MESSAGE_BYTES).",
        )
        return parsed
    parsed = parse(raw)
    if parsed.error or parsed.refused or _late(parsed, started, limit) or not parsed.html:
        return parsed
    try:
        parsed.html = htmlkit.sanitize_bounded(parsed.html)
    except TooLarge as exc:  # what quote stripping left is checked again (it is never larger, but cheap)
        parsed.html, parsed.refused = None, ("too_complex", exc.detail)
        return parsed
    parsed.html_sanitized = True
    if _late(parsed, started, limit):
        return parsed
    if not (parsed.text and parsed.text.strip()):
        parsed.text = htmlkit.to_text(parsed.html)
    _late(parsed, started, limit)
    return parsed


def read_for_pool(raw: bytes) -> Parsed:
    """`read`, in a reader process (readers.py): the result without the raw bytes, which the caller has."""
    parsed = read(raw)
    parsed.raw = b""
    return parsed


def _late(parsed: Parsed, started: float, limit: float) -> bool:
    if _clock() - started <= limit:
        return False
    parsed.html, parsed.refused = (
        None,
        (
            "too_slow",
            f"Reading the mail took longer than {limit:g} seconds (RAPPORT_EMAIL_MAX_PARSE_SECONDS).",
        ),
    )
    return True
