"""HTML sanitising with nh3: the only HTML Rapport ever stores or shows is what leaves here."""

from __future__ import annotations

import html as _html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote|pre)>|<br\s*/?>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def _img_filter(element: str, attribute: str, value: str) -> str | None:
    # Remote images track readers; only inline (cid:/data:) images survive by default.
    if element == "img" and attribute == "src" and not value.startswith(("cid:", "data:image/")):
        return None
    return value


def sanitize(html: str, *, allow_remote_images: bool = False) -> str:
    """Return `html` with scripts, handlers, styles and (by default) remote images removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=None if allow_remote_images else _img_filter,
        strip_comments=True,
    )


def to_text(html: str) -> str:
    """Plain text of an HTML fragment, for search and previews."""
    text = _BLOCK_END.sub("\n", html)
    text = _html.unescape(_TAG.sub("", nh3.clean(text, tags=set())))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def text_to_html(text: str) -> str:
    """Safe HTML paragraphs for a plain-text body."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p]
    return "".join("<p>" + _html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
