"""Cutting quoted replies and signatures from the visible body, and the reply token's signature."""

from __future__ import annotations

import time

import pytest

from rapport.channels.email import tokens
from rapport.channels.email.quotes import strip_html, strip_text

TEXT_CASES = {
    "gmail attribution": (
        "Yes, please send it.\n\nOn Mon, 2 Nov 2026 at 10:00, Support <help@example.com> wrote:\n> Shall we?\n",
        "Yes, please send it.",
    ),
    "attribution wrapped over two lines": (
        "Sounds good\n\nOn Mon, 2 Nov 2026 at 10:00, Alex Agent via Support\n<help@example.com> wrote:\n\n> Hi\n",
        "Sounds good",
    ),
    "german attribution": ("Danke!\n\nAm 02.11.2026 um 10:00 schrieb Support <help@example.com>:\n> Hallo\n", "Danke!"),
    "outlook original message": (
        "Thanks.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: Jo\nSubject: x\n\nold\n",
        "Thanks.",
    ),
    "outlook header block": (
        "Got it.\n\n________________________________\nFrom: Support <help@example.com>\n"
        "Sent: Monday, November 2, 2026 10:00\nTo: Jo <jo@customer.test>\nSubject: Re: x\n\nold\n",
        "Got it.",
    ),
    "signature delimiter": ("See attached.\n\n-- \nJo Customer\n+44 20 0000 0000\n", "See attached."),
    "sent from my phone": ("On my way\n\nSent from my iPhone\n", "On my way"),
    "trailing quote": ("Agreed.\n\n> You wrote this\n> and this\n", "Agreed."),
    "interleaved answers keep their context": (
        "> Which size?\n42\n> Which colour?\nBlue\n",
        "> Which size?\n42\n> Which colour?\nBlue",
    ),
    "only a quote is kept whole": ("> all quoted\n> nothing new\n", "> all quoted\n> nothing new\n"),
    "a From line at the top is not a header block": ("From: the shop, I got the wrong item.\nPlease help.", None),
    "on in a sentence is not an attribution": ("On Monday I wrote: nothing arrived.\nStill waiting.", None),
}


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_strip_text(case):
    text, expected = TEXT_CASES[case]
    assert strip_text(text) == (text if expected is None else expected)


def test_strip_html_cuts_at_the_quote_markers():
    gmail = '<div dir="ltr">Thanks!</div><div class="gmail_quote"><div class="gmail_attr">On Mon wrote:</div>old</div>'
    assert strip_html(gmail) == '<div dir="ltr">Thanks!</div>'
    apple = "<p>Great</p><div>On 2 Nov 2026, at 10:00, Support &lt;help@example.com&gt; wrote:</div>"
    apple += '<blockquote type="cite">old</blockquote>'
    assert strip_html(apple) == "<p>Great</p>"
    outlook = '<p>Fine</p><div id="divRplyFwdMsg"><b>From:</b> Support</div><div>old</div>'
    assert strip_html(outlook) == "<p>Fine</p>"
    thunderbird = '<p>Ok</p><div class="moz-cite-prefix">On 02/11/2026 Support wrote:</div><blockquote>x</blockquote>'
    assert strip_html(thunderbird) == "<p>Ok</p>"
    only_quote = '<blockquote type="cite">all of it</blockquote>'
    assert strip_html(only_quote) == only_quote
    assert strip_html("<p>No quote here</p>") == "<p>No quote here</p>"


def test_hostile_bodies_are_cut_quickly():
    started = time.perf_counter()
    strip_html("<div " + "class=class=" * 50_000 + ">" + "On x " * 50_000 + '<blockquote type="cite">')
    strip_text(("On " + "x" * 300 + "\n") * 4000 + "> q\n" * 1000)
    assert time.perf_counter() - started < 2.0


def test_a_reply_token_is_signed(settings):
    mid = tokens.message_id(12, 34, "example.com")
    assert tokens.read(mid) == tokens.Token(12, 34)
    local, domain = mid.split("@")
    for forged in (
        mid.replace("rapport.12.", "rapport.13."),  # another conversation, same signature
        local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain,  # a changed signature
        "rapport.12.34@example.com",  # no signature
    ):
        assert tokens.read(forged) is None
    settings.secret_key = "another installation"
    assert tokens.read(mid) is None
