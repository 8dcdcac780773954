"""HTML sanitising with nh3: the only HTML Rapport ever stores or shows is what leaves here.

nh3 (html5ever) costs time in proportion to the size times the nesting depth of what it reads, so a small mail
of deeply nested elements can hold a core for minutes. `check` bounds both before anything reads the HTML
(RAPPORT_MAX_HTML_CHARS, RAPPORT_MAX_HTML_DEPTH) with one linear scan; `sanitize_bounded` is check-then-sanitize
for HTML from outside. nh3 lets go of the GIL while it works, so a thread sanitising never stalls the event loop.
"""

from __future__ import annotations

import html as _html
import re

import nh3

from rapport.config import get_settings
from rapport.kit.problems import TooLarge

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
# Elements that never hold others (void) or that the parser closes by itself when a sibling starts (optional end
# tags): neither makes the tree deeper, so the depth scan does not count them.
_FLAT = frozenset(
    "area base br col embed hr img input link meta param source track wbr "
    "p li dt dd tr td th option optgroup thead tbody tfoot colgroup rb rt rp".split()
)
_FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]{0,40})")
# Inline images that cannot carry script (no SVG): the only data: URLs kept, and only as an image's source.
_DATA_IMAGE = re.compile(r"data:image/(png|jpe?g|gif|webp)[;,]")
_URL_NOISE = re.compile(r"[\x00-\x20]+")
_TAG = re.compile(r"<[^<>]+>")
_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote|pre)>|<br\s*/?>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def _url_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute not in ("href", "src"):
        return value
    url = _URL_NOISE.sub("", value).lower()
    image = element == "img" and attribute == "src"
    if url.startswith("data:"):
        # data:text/html (and any other data: link) opens a page the sender wrote: only inline raster images stay.
        return value if image and _DATA_IMAGE.match(url) else None
    return value


def _no_remote_images(element: str, attribute: str, value: str) -> str | None:
    # Remote images track readers; only inline (cid:/data:) images survive by default.
    if element == "img" and attribute == "src" and not _URL_NOISE.sub("", value).lower().startswith(("cid:", "data:")):
        return None
    return _url_filter(element, attribute, value)


def sanitize(html: str, *, allow_remote_images: bool = False) -> str:
    """Return `html` with scripts, handlers, styles, script-capable links and (by default) remote images removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_url_filter if allow_remote_images else _no_remote_images,
        strip_comments=True,
    )


def nesting_depth(html: str, *, stop_above: int | None = None) -> int:
    """How deep elements nest in `html`, by one linear scan of its tags (stops early past `stop_above`).

    An estimate from tags alone, never run through a parser, that errs deep: elements that cannot nest are not
    counted; an end tag closes its element and those opened inside it, and an end tag with nothing to close is
    ignored (as a parser ignores it: "<div></span>" repeated nests); formatting elements (b, font …) count until
    their own end tag, because a parser reopens unclosed ones wherever text follows.
    """
    stack: list[str] = []
    on_stack: dict[str, int] = {}
    formatting: dict[str, int] = {}
    open_formatting = deepest = 0
    flat, formatting_names = _FLAT, _FORMATTING
    # finditer, not findall: one short call per tag, so a long body never holds the GIL in one stretch.
    for tag in _TAG_NAME.finditer(html):
        closing, name = tag.groups()
        name = name.lower()
        if name in flat:
            continue
        if name in formatting_names:
            if not closing:
                formatting[name] = formatting.get(name, 0) + 1
                open_formatting += 1
            elif formatting.get(name):
                formatting[name] -= 1
                open_formatting -= 1
            else:
                continue
        elif not closing:
            stack.append(name)
            on_stack[name] = on_stack.get(name, 0) + 1
        elif on_stack.get(name):
            while True:  # each element is pushed and popped once: linear overall
                popped = stack.pop()
                on_stack[popped] -= 1
                if popped == name:
                    break
            continue
        else:
            continue
        depth = len(stack) + open_formatting
        if depth > deepest:
            deepest = depth
            if stop_above is not None and deepest > stop_above:
                break
    return deepest


def check(html: str) -> None:
    """Raise TooLarge, naming the setting, when `html` is longer or nests deeper than the configured bounds."""
    settings = get_settings()
    chars, max_depth = settings.max_html_chars, settings.max_html_depth
    if len(html) > chars:
        raise TooLarge(
            f"The HTML body has {len(html)} characters; the limit is {chars} (RAPPORT_MAX_HTML_CHARS).",
            limit=chars,
            setting="RAPPORT_MAX_HTML_CHARS",
        )
    depth = nesting_depth(html, stop_above=max_depth)
    if depth > max_depth:
        raise TooLarge(
            f"The HTML body nests elements more than {max_depth} deep (RAPPORT_MAX_HTML_DEPTH).",
            limit=max_depth,
            setting="RAPPORT_MAX_HTML_DEPTH",
        )


def sanitize_bounded(html: str, *, allow_remote_images: bool = False) -> str:
    """`sanitize` for HTML from outside: TooLarge (naming the setting) first if it is over a bound (`check`)."""
    check(html)
    return sanitize(html, allow_remote_images=allow_remote_images)


def to_text(html: str) -> str:
    """Plain text of an HTML fragment, for search and previews."""
    # A line break after each block's end, the end tag kept: without its end tags the fragment would nest ever
    # deeper for the parser below (one level per block), and parsing slows with depth.
    text = _BLOCK_END.sub("\\g<0>\n", html)
    text = _html.unescape(_TAG.sub("", nh3.clean(text, tags=set())))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def text_to_html(text: str) -> str:
    """Safe HTML paragraphs for a plain-text body."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p]
    return "".join("<p>" + _html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
