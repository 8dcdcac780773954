"""Values that go into mail headers: decoded, on one line, and checked once the header is folded.

A value can carry a line break in many disguises: a bare CR or LF, NUL and other control characters, Unicode
line separators, or an RFC 2047 encoded word ("=?utf-8?q?=0D=0A…?=") that the `email` package decodes when
it reads the value back while folding (CPython before 3.11.10 then writes the decoded CR LF raw: CVE-2024-6923).
So every value is decoded until no encoded word is left, its control characters become spaces, and after the
message is built each header is folded exactly as the generator will fold it and must still be one header.
"""

from __future__ import annotations

import contextlib
import re
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import SMTP

# The policy replies are built with: SMTP's CRLF line ends, and a defect (a malformed address) is an error.
STRICT = SMTP.clone(raise_on_defect=True)
# C0 and C1 controls (CR, LF, NUL, VT, FF, NEL …), DEL and the Unicode line and paragraph separators.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MESSAGE_ID = re.compile(r"[!#-;=?-Z^-~]{1,500}")  # printable ASCII without <>"\[] or space
_MAX_ROUNDS = 5


class UnsafeHeader(ValueError):
    """A built message whose headers would not come out as the headers that were set."""


def one_line(value: str | None) -> str:
    """`value` as one line of text: control characters (CR, LF, NUL …) become spaces, runs of spaces one."""
    return " ".join(_CONTROLS.sub(" ", value or "").split())


def header_text(value: str | None) -> str:
    """A value fit for a header: encoded words decoded (again, until none is left), then on one line."""
    text = one_line(value)
    for _ in range(_MAX_ROUNDS):
        if "=?" not in text:
            return text
        decoded = one_line(_decode(text))
        if decoded == text:
            return text  # "=?" that is no encoded word ("Is 2+2=?"): nothing will decode it later either
        text = decoded
    # Encoded words nested deeper than any mail program writes: break the marker so that nothing decodes it.
    return text.replace("=?", "= ?")


def _decode(text: str) -> str:
    # Both of the standard library's readers: the policy's (what folding does) and the older, laxer one.
    with contextlib.suppress(Exception):  # a value the policy cannot read is left to the other reader
        text = str(STRICT.header_factory("subject", text))
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # noqa: BLE001
        return text


def message_id_ok(value: str | None) -> bool:
    """Whether `value` (without angle brackets) is a plain Message-ID: printable ASCII, no encoded word."""
    return bool(value) and _MESSAGE_ID.fullmatch(value) is not None and "=?" not in value


def check(mail: EmailMessage) -> None:
    """Raise UnsafeHeader unless every header of `mail` folds to exactly one header line (plus continuations)."""
    for name, value in mail.raw_items():
        folded = mail.policy.fold_binary(name, value)
        lines = folded.split(b"\r\n")
        if lines[-1] != b"" or not lines[0].lower().startswith(name.lower().encode("ascii", "replace") + b":"):
            raise UnsafeHeader(f"the {name} header does not fold to one header")
        for line in lines[:-1]:
            if b"\r" in line or b"\n" in line or b"\x00" in line:
                raise UnsafeHeader(f"the {name} header holds a line break")
        if any(line[:1] not in (b" ", b"\t") for line in lines[1:-1]):
            raise UnsafeHeader(f"the {name} header would start another header")
