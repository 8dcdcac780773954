"""Reading a raw mail with the standard library's parser (policy=default), defensively.

Any header or part the parser cannot read falls back to its raw form, and every string is made safe to store
(no NUL, no lone surrogates), so no mail makes the pipeline crash: the worst case is a mail that becomes a
quarantine record instead of a message.
"""

from __future__ import annotations

import email.policy
import functools
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from rapport.channels.email import classify, quotes
from rapport.conversations.attachments import IncomingFile
from rapport.customers.identities import normalise
from rapport.kit import headers
from rapport.kit import html as htmlkit
from rapport.kit.problems import Invalid, TooLarge

_STRUCTURAL = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})


class _Policy(email.policy.EmailPolicy):
    """policy=default, except that the structural headers, which walking a mail reads again and again (every
    get_content_type() parses Content-Type anew), are parsed once per distinct value. Their header objects are
    immutable, so sharing them is safe."""

    def header_fetch_parse(self, name, value):  # noqa: D102
        if type(value) is str and name.lower() in _STRUCTURAL:
            return _structural(name, value)
        return super().header_fetch_parse(name, value)


POLICY = _Policy()


@functools.lru_cache(maxsize=2048)
def _structural(name: str, value: str):
    return email.policy.EmailPolicy.header_fetch_parse(POLICY, name, value)


_PARSER = BytesParser(policy=POLICY)
_MSGID = re.compile(r"<([^<>\s]{1,998})>")
_MAX_REFERENCES = 20
# Headers added on the way (by relays, filters and the receiving server): the same mail delivered twice
# differs only in these, so the content hash leaves them out.
_TRACE = {
    "received", "return-path", "delivered-to", "x-original-to", "x-received", "received-spf", "envelope-to",
    "authentication-results", "x-envelope-from", "x-envelope-to", "x-delivered-to", "x-rcpt-to", "status",
    "x-uid", "x-keywords", "x-status", "lines", "content-length",
}  # fmt: skip
_TRACE_PREFIXES = ("arc-", "x-spam", "x-virus", "x-ms-exchange-organization", "x-google-", "x-gm-", "x-forwarded")


@dataclass
class Parsed:
    """What the pipeline needs from one raw mail."""

    raw: bytes
    sha256: str
    content_hash: str
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    sender: str | None = None
    sender_name: str = ""
    reply_to: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    date: str | None = None
    text: str | None = None
    html: str | None = None
    files: list[IncomingFile] = field(default_factory=list)
    kind: str = "normal"  # normal | bulk | auto_reply | report | bounce | loop
    why: str = ""
    x_loop: list[str] = field(default_factory=list)
    auth_results: list[str] = field(default_factory=list)  # Authentication-Results, topmost first
    bounce: classify.Bounce | None = None
    error: str | None = None
    # A bound the mail is over, as (quarantine reason, detail naming the setting): it is read no further.
    refused: tuple[str, str] | None = None
    html_sanitized: bool = False  # `html` is the sanitiser's output already (reading.read)
    server_size: int | None = None  # the size the IMAP server gave a mail too large to fetch (`raw` is its header)

    @property
    def size(self) -> int:
        """Bytes of the raw mail (as the server counts them when only its header was fetched)."""
        return self.server_size if self.server_size is not None else len(self.raw)

    @property
    def refs(self) -> list[str]:
        """The Message-IDs this mail answers, the direct parent first, then References from the newest."""
        seen: dict[str, None] = {}
        for ref in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(ref, None)
        return list(seen)


def parse(raw: bytes, *, body: bool = True) -> Parsed:
    """Parse one raw mail; a mail the parser cannot read comes back with `error` set, never an exception.

    `body=False` reads the headers only (for a mail that is quarantined for its size without being read).
    """
    parsed = Parsed(raw=raw, sha256=hashlib.sha256(raw).hexdigest(), content_hash=content_hash(raw))
    try:
        msg = _PARSER.parsebytes(raw, headersonly=not body)
        _read(msg, parsed, body=body)
    except RecursionError:
        parsed.error = "the MIME structure is nested too deeply to read"
    except Exception as exc:  # noqa: BLE001  (whatever the parser trips on, the mail is quarantined, not lost)
        parsed.error = f"the mail could not be parsed ({type(exc).__name__}: {clean(str(exc))[:200]})"
    return parsed


def _read(msg: EmailMessage, parsed: Parsed, *, body: bool) -> None:
    ids = message_ids(header(msg, "message-id"))
    parsed.message_id = ids[0] if ids else None
    parsed.in_reply_to = message_ids(header(msg, "in-reply-to"))[:1]
    parsed.references = message_ids(header(msg, "references"))[-_MAX_REFERENCES:]
    parsed.sender, parsed.sender_name = _sender(msg)
    reply_to = addresses(msg, "reply-to")
    parsed.reply_to = reply_to[0][1] if reply_to else None
    parsed.to = [a for _, a in addresses(msg, "to")][:50]
    parsed.cc = [a for _, a in addresses(msg, "cc")][:50]
    parsed.subject = one_line(header(msg, "subject") or "")[:500]
    parsed.date = one_line(header(msg, "date") or "")[:100] or None
    parsed.x_loop = [one_line(v).lower() for v in all_headers(msg, "x-loop")]
    parsed.kind, parsed.why = classify.kind(msg, parsed.sender, parsed.message_id)
    parsed.auth_results = classify.auth_results(msg)
    if parsed.kind == "bounce":
        parsed.bounce = classify.bounce_details(msg)
    if not body:
        return
    text_part, html_part = _body_parts(msg)
    if text_part is not None:
        parsed.text = quotes.strip_text(_text(text_part))
    if html_part is not None:
        html = _text(html_part)
        try:
            htmlkit.check(html)  # before quote stripping and the sanitiser read it
        except TooLarge as exc:
            reason = "too_complex" if exc.extra.get("setting") == "RAPPORT_MAX_HTML_DEPTH" else "oversized"
            parsed.refused = (reason, exc.detail)
            return
        parsed.html = quotes.strip_html(html)
    parsed.files = _attachments(msg, {id(text_part), id(html_part)})


def clean(value: str) -> str:
    """`value` safe to store: 8-bit header bytes read as UTF-8 where they are, no lone surrogates, no NUL."""
    try:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "")


def one_line(value: str) -> str:
    """A header value as one clean line: control characters (CR and LF above all) become spaces."""
    return headers.one_line(clean(value))


def header(msg: EmailMessage, name: str) -> str | None:
    """A header's decoded value, or its raw value if the parser cannot read it; None when absent."""
    try:
        value = msg.get(name)
        return None if value is None else str(value)
    except Exception:  # noqa: BLE001  (a header the policy cannot parse is read raw below)
        raw = next((v for k, v in msg.raw_items() if k.lower() == name), None)
        return None if raw is None else _decode_raw(raw)


def all_headers(msg: EmailMessage, name: str) -> list[str]:
    """Every value of a header, decoded where possible."""
    try:
        return [str(v) for v in msg.get_all(name) or []]
    except Exception:  # noqa: BLE001
        return [_decode_raw(v) for k, v in msg.raw_items() if k.lower() == name]


def _decode_raw(raw: str) -> str:
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # noqa: BLE001
        return raw


def message_ids(value: str | None) -> list[str]:
    """The Message-IDs in a header value, without angle brackets; an id too long to index is hashed."""
    if not value:
        return []
    found = _MSGID.findall(value) or [t for t in value.split() if "@" in t]
    out = []
    for item in found:
        item = clean(item).strip().strip("<>")
        if not item or any(c in item for c in "\r\n\x00 "):
            continue
        out.append(item if len(item) <= 250 else "long-id:" + hashlib.sha256(item.encode()).hexdigest())
    return out


def addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, normalised address) for each valid address in a header; invalid ones are skipped."""
    pairs: list[tuple[str, str]] = []
    try:
        value = msg.get(name)
        if value is not None:
            pairs = [(a.display_name, a.addr_spec) for a in value.addresses]
    except Exception:  # noqa: BLE001  (fall back to the lenient compat parser)
        raw = [v for k, v in msg.raw_items() if k.lower() == name]
        pairs = getaddresses([str(v) for v in raw])
    out = []
    for display, address in pairs:
        try:
            out.append((one_line(display or "")[:200], normalise("email", clean(address or ""))))
        except Invalid:
            continue
    return out


def _sender(msg: EmailMessage) -> tuple[str | None, str]:
    for name in ("from", "sender"):
        found = addresses(msg, name)
        if found:
            display, address = found[0]
            return address, display
    return None, ""


def _body_parts(msg: EmailMessage):
    return _body(msg, "plain"), _body(msg, "html")


def _body(msg: EmailMessage, subtype: str) -> EmailMessage | None:
    try:
        return msg.get_body(preferencelist=(subtype,))
    except Exception:  # noqa: BLE001  (treated as no such body; its bytes stay an attachment)
        return None


def _text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return clean(content)
    except Exception:  # noqa: BLE001  (an unknown charset or broken encoding: decode by hand below)
        pass
    payload = _payload(part)
    charset = _charset(part)
    try:
        return clean(payload.decode(charset, "replace"))
    except LookupError:
        return clean(payload.decode("utf-8", "replace"))


def _charset(part: EmailMessage) -> str:
    try:
        return part.get_content_charset() or "utf-8"
    except Exception:  # noqa: BLE001
        return "utf-8"


def _payload(part: EmailMessage) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _attachments(msg: EmailMessage, bodies: set[int]) -> list[IncomingFile]:
    files: list[IncomingFile] = []
    _collect(msg, bodies, files, depth=0)
    return files


def _collect(part: EmailMessage, bodies: set[int], files: list[IncomingFile], depth: int) -> None:
    if depth > 50:
        raise RecursionError
    ctype = _content_type(part)
    if id(part) in bodies:
        return
    if ctype.startswith("multipart/") and part.is_multipart():
        for sub in part.get_payload():
            _collect(sub, bodies, files, depth + 1)
        return
    if ctype.startswith("message/") and part.is_multipart():
        # An enclosed mail (or a message/external-body, which is never fetched): kept whole, as a file.
        inner = part.get_payload()
        data = _as_bytes(inner[0] if ctype == "message/rfc822" and inner else part)
        if data:
            files.append(IncomingFile(_filename(part, len(files), "message/rfc822"), data, "message/rfc822"))
        return
    data = _payload(part)
    if not data and not _raw_filename(part):
        return
    files.append(IncomingFile(_filename(part, len(files), ctype), data, ctype))


def _content_type(part: EmailMessage) -> str:
    try:
        return part.get_content_type()[:127]
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def _as_bytes(part: EmailMessage) -> bytes:
    for render in (lambda: part.as_bytes(), lambda: part.as_string().encode("utf-8", "replace")):
        try:
            return render()
        except Exception:  # noqa: BLE001, S112  (try the next, more lenient rendering)
            continue
    return b""


def _raw_filename(part: EmailMessage) -> str:
    try:
        return one_line(part.get_filename() or "")
    except Exception:  # noqa: BLE001
        return ""


def _filename(part: EmailMessage, index: int, ctype: str) -> str:
    name = _raw_filename(part).replace("/", "_").replace("\\", "_").strip(". ")
    if name:
        return name[:255]
    return f"part-{index + 1}{mimetypes.guess_extension(ctype) or '.bin'}"


def content_hash(raw: bytes) -> str:
    """SHA-256 of the mail without its trace headers: equal for the same mail however it was delivered."""
    text = raw.replace(b"\r\n", b"\n")
    split = text.find(b"\n\n")
    head, body = (text, b"") if split < 0 else (text[:split], text[split + 2 :])
    kept: list[bytes] = []
    keep = True
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if keep and kept:
                kept[-1] += b" " + line.strip()
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("latin-1")
        keep = not (line.startswith(b"From ") or name in _TRACE or name.startswith(_TRACE_PREFIXES))
        if keep:
            kept.append(line.rstrip())
    digest = hashlib.sha256(b"\n".join(kept))
    digest.update(b"\n\n" + body.rstrip())
    return digest.hexdigest()
