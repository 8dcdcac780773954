"""The composer's lightweight markup (a Markdown subset) turned into safe HTML and into plain text.

What an agent can write: **bold**, *italic* (or _italic_), [a link](https://…), bare http(s) links, "- " or "* "
bulleted and "1. " numbered lists, "> " quotes, paragraphs (a blank line) and line breaks. Nothing else is markup:
the source is HTML-escaped before any of it is read, links keep only http, https and mailto, and the result still
goes through the sanitiser (kit.html) — so no source can produce an element or attribute the sanitiser would not
keep. `to_text` is the same message for channels without formatting (SMS, WhatsApp, chat) and for a mail's
text/plain part: the markers dropped, a link written as "label (url)".
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass

from rapport.config import get_settings
from rapport.kit.html import check, sanitize
from rapport.kit.problems import Invalid

_LINK = re.compile(r"\[([^\[\]\n]{1,500})\]\(([^()\s]{1,2000})\)")
_BARE_URL = re.compile(r"(?<![\w/\"'=])(https?://[^\s<>()\"']{1,2000}[^\s<>()\"'.,;:!?])")
# Emphasis never spans its own marker, so each scan stops at the next one: linear in the line, whatever it holds.
_BOLD = re.compile(r"\*\*([^\s*](?:[^*]*?[^\s*])?)\*\*")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*([^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![\w_])_([^\s_](?:[^_]*?[^\s_])?)_(?![\w_])")
_BULLET = re.compile(r"^\s{0,3}[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}(\d{1,9})[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_QUOTE_MARKS = re.compile(r"^(?:\s{0,3}>\s?)+")
_SCHEMES = ("http://", "https://", "mailto:")
_PLACEHOLDER = "\x00{}\x00"
_HELD = re.compile("\x00(\\d+)\x00")


@dataclass(frozen=True)
class Formatted:
    """One message in both forms: sanitised HTML (email, the timeline) and plain text (every other channel)."""

    html: str
    text: str


def render(source: str) -> Formatted:
    """Both forms of `source`: the sanitised HTML and the plain text."""
    return Formatted(to_html(source), to_text(source))


def to_html(source: str) -> str:
    """Safe HTML for the markup in `source` (sanitised: nothing in the source becomes markup of its own).

    TooLarge (naming RAPPORT_MAX_HTML_CHARS) when the HTML would be longer than any HTML Rapport accepts.
    """
    html = "".join(_blocks_html(_lines(source)))
    check(html)
    return sanitize(html)


def to_text(source: str) -> str:
    """Plain text for the markup in `source`: markers dropped, links as "label (url)", lists and quotes kept."""
    out: list[str] = []
    for line in _lines(source):
        bullet, numbered, quote = _BULLET.match(line), _NUMBERED.match(line), _QUOTE.match(line)
        if bullet:
            out.append("- " + _inline_text(bullet.group(1)))
        elif numbered:
            out.append(f"{numbered.group(1)}. " + _inline_text(numbered.group(2)))
        elif quote:
            out.append("> " + _inline_text(quote.group(1)))
        else:
            out.append(_inline_text(line.strip()))
    return "\n".join(out).strip("\n")


def _lines(source: str) -> list[str]:
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks_html(lines: list[str], *, quotes: bool = True) -> list[str]:
    parts: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if _BULLET.match(line) or _NUMBERED.match(line):
            ordered = bool(_NUMBERED.match(line))
            pattern, tag = (_NUMBERED, "ol") if ordered else (_BULLET, "ul")
            items = []
            while i < len(lines) and pattern.match(lines[i]):
                found = pattern.match(lines[i])
                items.append("<li>" + _inline_html(found.group(found.lastindex)) + "</li>")
                i += 1
            parts.append(f"<{tag}>{''.join(items)}</{tag}>")
        elif quotes and _QUOTE.match(line):
            inner = []
            while i < len(lines) and _QUOTE.match(lines[i]):
                inner.append(_QUOTE_MARKS.sub("", lines[i]))
                i += 1
            # A quote holds paragraphs and lists of its own but never another quote ("> > x" is one level deep):
            # the HTML's depth stays bounded whatever the source.
            parts.append("<blockquote>" + "".join(_blocks_html(inner, quotes=False)) + "</blockquote>")
        else:
            paragraph = []
            while i < len(lines) and lines[i].strip() and not _block_start(lines[i], quotes):
                paragraph.append(_inline_html(lines[i].strip()))
                i += 1
            parts.append("<p>" + "<br>".join(paragraph) + "</p>")
    return parts


def _block_start(line: str, quotes: bool) -> bool:
    return bool(_BULLET.match(line) or _NUMBERED.match(line) or (quotes and _QUOTE.match(line)))


def _safe_url(url: str) -> str | None:
    plain = _html.unescape(url).strip()
    return plain if plain.lower().startswith(_SCHEMES) else None


def _inline_html(text: str) -> str:
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return _PLACEHOLDER.format(len(held) - 1)

    def link(m: re.Match) -> str:
        url = _safe_url(m.group(2))
        if url is None:
            return hold(_html.escape(m.group(0)))
        return hold(f'<a href="{_html.escape(url)}">{_emphasis(_html.escape(m.group(1)))}</a>')

    def bare(m: re.Match) -> str:
        url = m.group(1)
        return hold(f'<a href="{_html.escape(url)}">{_html.escape(url)}</a>')

    text = text.replace("\x00", "")
    text = _LINK.sub(link, text)
    text = _BARE_URL.sub(bare, text)
    # Links are held aside so emphasis markers inside a URL stay as typed; the rest is escaped, then emphasised.
    pieces = _HELD.split(text)
    out = []
    for n, piece in enumerate(pieces):
        out.append(held[int(piece)] if n % 2 else _emphasis(_html.escape(piece)))
    return "".join(out)


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    escaped = _ITALIC_STAR.sub(r"<em>\1</em>", escaped)
    return _ITALIC_UNDERSCORE.sub(r"<em>\1</em>", escaped)


def _inline_text(text: str) -> str:
    def link(m: re.Match) -> str:
        label, url = _strip_emphasis(m.group(1)), m.group(2)
        if _safe_url(url) is None:
            return m.group(0)
        return url if label == url else f"{label} ({url})"

    held: list[str] = []

    def hold(m: re.Match) -> str:
        held.append(link(m))
        return _PLACEHOLDER.format(len(held) - 1)

    text = _LINK.sub(hold, text.replace("\x00", ""))
    pieces = _HELD.split(text)
    return "".join(held[int(p)] if n % 2 else _strip_emphasis(p) for n, p in enumerate(pieces))


def _strip_emphasis(text: str) -> str:
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC_STAR.sub(r"\1", text)
    return _ITALIC_UNDERSCORE.sub(r"\1", text)


def check_signature(source: str | None) -> str | None:
    """A signature as stored: trimmed, None when empty; Invalid past RAPPORT_MAX_SIGNATURE_CHARS or as bad markup."""
    value = (source or "").replace("\r\n", "\n").strip()
    if not value:
        return None
    limit = get_settings().max_signature_chars
    if len(value) > limit:
        raise Invalid(
            f"The signature has {len(value)} characters; the limit is {limit} (RAPPORT_MAX_SIGNATURE_CHARS).",
            errors=[{"field": "signature"}],
        )
    if "\x00" in value:
        raise Invalid("A signature cannot contain NUL characters.", errors=[{"field": "signature"}])
    to_html(value)  # bounded like every HTML Rapport keeps (TooLarge names the setting)
    return value
