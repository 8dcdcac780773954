"""Quoted replies and signatures, cut from the visible body of a mail (the raw mail keeps everything).

Checked PyPI first: quotequail needs lxml and leaves signatures alone; mail-parser-reply strips every line's
indentation and matches with `(.|\\s)*` patterns that are slow on long bodies. So this is a small function over
the common shapes, line by line:

- an attribution line, "On <date>, <name> wrote:" (also wrapped over two lines, and in a few languages);
- Outlook's "-----Original Message-----", or its header block "From: …" followed by "Sent:"/"Date:" lines;
- a trailing block of "> " quoted lines (quotes between answers stay: they give the answers their context);
- the signature after the "-- " delimiter, and "Sent from my …" lines at the end.

If cutting would leave nothing (a mail that is only a quote or a forward), the text is kept whole.
"""

from __future__ import annotations

import re

_MAX_LINES = 5000  # past this, a body is long enough that it is shown as it came
# Attributions, headers and "Sent from" lines are short: a longer line is never tried against the patterns, so a
# line of 60,000 spaces or dashes costs one length check instead of a backtracking search per pattern.
_MAX_LINE = 1000
_ATTRIBUTION = re.compile(
    r"^\s*(On\s.{1,300}\swrote|Am\s.{1,300}\sschrieb|Le\s.{1,300}\sa\s+écrit|El\s.{1,300}\sescribió"
    r"|Op\s.{1,300}\sschreef|Il\s.{1,300}\sha\s+scritto|Em\s.{1,300}\sescreveu)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(On|Am|Le|El|Op|Il|Em)\s", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Forwarded message)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(From|Von|De)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|To|An|À|Para|Subject|Betreff)\s*:", re.I)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_SIG_DELIMITER = re.compile(r"^--[ \t]?$")
_SENT_FROM = re.compile(
    r"^\s*(Sent from my \w[\w ]{0,40}|Sent from (Mail|Outlook) for \w[\w ]{0,40}|Get Outlook for \w+)"
    r"\S*\s*$",
    re.IGNORECASE,
)
_SIGNATURE_MAX_LINES = 15

# HTML: where the quoted part of a reply starts, in the mail programs that mark it (tags read one at a time,
# each at most 1,000 characters, so a hostile body cannot make the search slow).
_OPEN_TAG = re.compile(r"<(div|blockquote|hr)\b([^<>]{0,1000})>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\b(class|id|type)\s*=\s*["']?([^"'<>]*)""", re.IGNORECASE)
_QUOTE_CLASSES = {
    "gmail_quote",
    "gmail_signature",
    "yahoo_quoted",
    "moz-cite-prefix",
    "moz-signature",
    "protonmail_quote",
}
_QUOTE_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container", "stopspelling"}
# Two dashes, not "-{2,}": a run of dashes would be tried from each of its dashes to its end (quadratic: a mail of
# 40,000 dashes took seconds). The match is widened to the whole run by hand, once.
_HTML_ORIGINAL = re.compile(r"--\s{0,5}Original Message\s{0,5}--", re.IGNORECASE)
_ON = re.compile(r"On\s", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
_TAIL = 2000  # the end of the new part searched for an attribution and for empty tags (a hostile body stays cheap)


def strip_text(text: str) -> str:
    """The new part of a plain-text mail: quoted replies and the signature cut off."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > _MAX_LINES:
        return text
    cut = _quote_start(lines)
    kept = _drop_sent_from(lines[:cut])
    kept = _drop_trailing_quote(kept)
    kept = _drop_signature(kept)
    result = "\n".join(kept).strip("\n")
    return result.rstrip() if result.strip() else text


def _quote_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if (i == 0 and not line.strip()) or len(line) > _MAX_LINE:
            continue
        if _ATTRIBUTION.match(line) or _ORIGINAL.match(line):
            return i
        # An attribution wrapped over two lines: "On Mon, 2 Nov 2026 at 10:00, Jo Customer" / "<jo@x> wrote:".
        if (
            _ATTRIBUTION_START.match(line)
            and i + 1 < len(lines)
            and len(lines[i + 1]) <= _MAX_LINE
            and _ATTRIBUTION.match(line.rstrip() + " " + lines[i + 1].strip())
            and _quoted_after(lines, i + 2)
        ):
            return i
        if i > 0 and _HEADER_FROM.match(line) and _outlook_headers(lines, i):
            return i - 1 if _UNDERSCORES.match(lines[i - 1]) else i
    return len(lines)


def _quoted_after(lines: list[str], start: int) -> bool:
    rest = [line for line in lines[start : start + 3] if line.strip()]
    return not rest or rest[0].lstrip().startswith(">")


def _outlook_headers(lines: list[str], i: int) -> bool:
    following = [line for line in lines[i + 1 : i + 5] if line.strip() and len(line) <= _MAX_LINE]
    return sum(1 for line in following if _HEADER_NEXT.match(line)) >= 2


def _drop_trailing_quote(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    has_quote = any(line.lstrip().startswith(">") for line in lines[end:])
    if not has_quote:
        return lines
    # A quote that opens with an attribution we did not recognise: drop the line that introduces it.
    if end and lines[end - 1].rstrip().endswith(":") and len(lines[end - 1]) < 300:
        end -= 1
    return lines[:end]


def _drop_sent_from(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and (
        not lines[end - 1].strip() or (len(lines[end - 1]) <= _MAX_LINE and _SENT_FROM.match(lines[end - 1]))
    ):
        end -= 1
    return lines[:end]


def _drop_signature(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, max(-1, len(lines) - _SIGNATURE_MAX_LINES - 2), -1):
        if _SIG_DELIMITER.match(lines[i]):
            return lines[:i]
    return lines


def strip_html(html: str) -> str:
    """The new part of an HTML mail: cut where the mail program marked the quote; nh3 later closes open tags."""
    cut = _html_quote_start(html)
    if cut is None:
        return html
    head = html[:cut]
    attribution = _trailing_attribution(head)
    if attribution is not None and _visible(head[:attribution]):
        head = head[:attribution]
    # Tags opened just before the cut would only wrap nothing.
    head = head[: _trailing_tags(head, openers_only=True)]
    return head if _visible(head) else html


def _html_quote_start(html: str) -> int | None:
    original = _HTML_ORIGINAL.search(html)
    start = original.start() if original else len(html)
    while original and start > 0 and html[start - 1] == "-":
        start -= 1
    limit = start
    for tag in _OPEN_TAG.finditer(html, 0, limit):
        name = tag.group(1).lower()
        for attribute in _ATTRIBUTE.finditer(tag.group(2)):
            key, value = attribute.group(1).lower(), attribute.group(2).strip().lower()
            if (
                (key == "class" and _QUOTE_CLASSES.intersection(value.split()))
                or (key == "id" and value in _QUOTE_IDS)
                or (key == "type" and name == "blockquote" and value == "cite")
            ):
                return tag.start()
    return start if original else None


def _trailing_tags(html: str, *, openers_only: bool) -> int:
    """Where the run of tags (each at most 200 characters, spaces between) that ends `html` starts.

    Walked back from the end by hand, where a pattern anchored at the end would be tried from every '<'.
    """
    start = index = len(html)
    floor = max(0, len(html) - _TAIL)
    while True:
        end = index
        while end > floor and html[end - 1].isspace():
            end -= 1
        if end <= floor or html[end - 1] != ">":
            return start
        opening = html.rfind("<", max(floor, end - 202), end - 1)
        if (
            opening < 0
            or html.find(">", opening, end - 1) >= 0
            or (openers_only and html[opening + 1 : opening + 2] == "/")
        ):
            return start
        start = index = opening


def _trailing_attribution(html: str) -> int | None:
    """Where an "On <date>, <name> wrote:" that ends `html` (tags after it allowed) starts, if one does."""
    end = _trailing_tags(html, openers_only=False)
    floor = max(0, len(html) - _TAIL)
    while end > floor and html[end - 1].isspace():
        end -= 1
    if end - 6 < floor or html[end - 6 : end].lower() != "wrote:":
        return None
    wrote = end - 6
    low = max(floor, wrote - 303)
    low = max(low, html.rfind("<", low, wrote) + 1, html.rfind(">", low, wrote) + 1)
    found = _ON.search(html, low, wrote - 1)  # "On" and a space, then at least one character before "wrote:"
    return found.start() if found else None


def _visible(html: str) -> bool:
    return bool(_TAG.sub("", html).replace("&nbsp;", "").strip())
