"""The composer's markup: formatted HTML that the sanitiser keeps as is, the same words as plain text, nothing in the
source ever becoming markup of its own, links only to http, https and mailto, bounded time and depth."""

from __future__ import annotations

import re
import time

import pytest

from rapport.kit import markup
from rapport.kit.html import nesting_depth, sanitize
from rapport.kit.problems import Invalid, TooLarge

REL = 'rel="noopener noreferrer nofollow"'
TAG = re.compile(r"<([a-z0-9]+)([^>]*)>")
ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
MARKUP_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote"}


@pytest.mark.parametrize(
    ("source", "html", "text"),
    [
        ("Hello **there**", "<p>Hello <strong>there</strong></p>", "Hello there"),
        ("It is *today* and _now_", "<p>It is <em>today</em> and <em>now</em></p>", "It is today and now"),
        ("snake_case_name 2*3*4", "<p>snake_case_name 2*3*4</p>", "snake_case_name 2*3*4"),
        ("- one\n- **two**", "<ul><li>one</li><li><strong>two</strong></li></ul>", "- one\n- two"),
        ("1. first\n2) second", "<ol><li>first</li><li>second</li></ol>", "1. first\n2. second"),
        ("> said\n> more", "<blockquote><p>said<br>more</p></blockquote>", "> said\n> more"),
        ("Line one\nline two\n\nNext", "<p>Line one<br>line two</p><p>Next</p>", "Line one\nline two\n\nNext"),
        (
            "[the guide](https://example.test/a_b*c*)",
            f'<p><a href="https://example.test/a_b*c*" {REL}>the guide</a></p>',
            "the guide (https://example.test/a_b*c*)",
        ),
        (
            "see https://example.test/x?a=1&b=2.",
            f'<p>see <a href="https://example.test/x?a=1&amp;b=2" {REL}>https://example.test/x?a=1&amp;b=2</a>.</p>',
            "see https://example.test/x?a=1&b=2.",
        ),
        ("[mail us](mailto:help@example.test)", f'<p><a href="mailto:help@example.test" {REL}>mail us</a></p>', None),
    ],
)
def test_markup_becomes_html_and_text(source, html, text):
    formatted = markup.render(source)
    assert formatted.html == html
    assert sanitize(formatted.html) == formatted.html  # nothing the sanitiser would change
    if text is not None:
        assert formatted.text == text


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '**<b onclick="x()">hi</b>**',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox)",
        '[a"onmouseover=alert(1) x](https://ok.test)',
        'https://ok.test/"onmouseover=alert(1)',
        "\x00<script>",
    ],
)
def test_nothing_in_the_source_becomes_markup(source):
    html = markup.to_html(source)
    for name, attributes in TAG.findall(html):
        assert name in MARKUP_TAGS, html
        found = dict(ATTRIBUTE.findall(attributes))
        assert set(found) <= ({"href", "rel"} if name == "a" else set()), html
        assert found.get("href", "https:").startswith(("https:", "http:", "mailto:")), html


def test_a_refused_link_stays_as_typed():
    assert markup.render("[x](javascript:alert(1))").text == "[x](javascript:alert(1))"
    assert "<a" not in markup.to_html("[x](ftp://host/file)")


def test_quotes_nest_one_level_whatever_the_source():
    html = markup.to_html("> " * 20_000 + "deep\n" + "> > > x\n" * 100)
    assert nesting_depth(html) <= 3


@pytest.mark.parametrize(
    "source", ["**a " * 50_000, "*a " * 60_000, "_a " * 60_000, "[a](b " * 30_000, "http://x " * 20_000]
)
def test_time_is_linear_in_the_source(source):
    started = time.monotonic()
    markup.render(source)
    assert time.monotonic() - started < 2.0


def test_html_past_the_bound_is_refused_naming_the_setting(settings):
    settings.max_html_chars = 1000
    with pytest.raises(TooLarge) as refused:
        markup.to_html("- x\n" * 500)
    assert "RAPPORT_MAX_HTML_CHARS" in refused.value.detail


def test_a_signature_is_trimmed_bounded_and_none_when_empty(settings):
    assert markup.check_signature("  Jo\r\nSupport  ") == "Jo\nSupport"
    assert markup.check_signature("   ") is None and markup.check_signature(None) is None
    settings.max_signature_chars = 20
    with pytest.raises(Invalid) as refused:
        markup.check_signature("x" * 21)
    assert "RAPPORT_MAX_SIGNATURE_CHARS" in refused.value.detail
    assert refused.value.extra["errors"] == [{"field": "signature"}]
