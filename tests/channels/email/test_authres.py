"""Reading Authentication-Results (RFC 8601) and the verdict on a From: real servers' headers, properties over
generated headers (seeded, so every run checks the same thousands of cases), and hostile input."""

from __future__ import annotations

import contextlib
import random

import pytest

from rapport.channels.email import authres
from rapport.channels.email.authres import Result, Unreadable, aligned, parse, verdict

TRUSTED = frozenset({"mx.example.com"})
GMAIL = (
    "mx.google.com;\r\n       dkim=pass header.i=@customer.test header.s=20230601 header.b=IQz+5/Kj;\r\n"
    "       spf=pass (google.com: domain of jo@customer.test designates 192.0.2.1 as permitted sender) "
    "smtp.mailfrom=jo@customer.test;\r\n       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=customer.test"
)
RSPAMD = (
    "mx.example.com; dkim=pass header.d=customer.test header.s=dkim header.b=AbCd; "
    'spf=pass (mx.example.com: domain of "jo@customer.test" designates 192.0.2.1 as permitted sender) '
    "smtp.mailfrom=jo@customer.test; dmarc=pass (policy=none) header.from=customer.test"
)
MICROSOFT = (  # no authserv-id at all: it can name no trusted server
    "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=customer.test; dkim=pass (signature was verified) "
    "header.d=customer.test;dmarc=pass action=none header.from=customer.test;compauth=pass reason=100"
)


def test_real_servers_headers_are_read():
    gmail = parse(GMAIL)
    assert gmail.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in gmail.results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert gmail.results[0].props == {"header.i": "@customer.test", "header.s": "20230601", "header.b": "IQz+5/Kj"}
    assert gmail.results[1].props == {"smtp.mailfrom": "jo@customer.test"}
    assert parse(RSPAMD).results[2].props == {"header.from": "customer.test"}
    assert parse("example.net 1; none").results == ()
    assert parse('"quoted.example" ; dkim/1 = pass reason="good sig" header.b=abc=').results == (
        Result("dkim", "pass", {"header.b": "abc="}, "good sig"),
    )
    assert authres.authserv_id(MICROSOFT) is None
    with pytest.raises(Unreadable):
        parse(MICROSOFT)
    for bad in ("", "mx.example.com", "mx.example.com 2; spf=pass", "mx; spf", "mx; spf=pass (x", "mx; =pass"):
        with pytest.raises(Unreadable):
            parse(bad)


def test_the_verdict():
    jo = "jo@customer.test"
    assert verdict([RSPAMD], jo, TRUSTED).status == "pass"
    assert verdict([RSPAMD], jo, frozenset()).status == "unchecked"
    assert verdict([GMAIL], jo, TRUSTED).status == "fail"  # Google is not the server this inbox trusts
    assert verdict([GMAIL], jo, frozenset({"mx.google.com"})).status == "pass"
    ar = "mx.example.com; "
    cases = {
        "dmarc=fail header.from=customer.test; dkim=pass header.d=customer.test": "fail",  # DMARC decides
        "dmarc=pass header.from=evil.test": "fail",  # a DMARC verdict about another From
        "dmarc=none; dkim=pass header.d=customer.test": "pass",  # no policy: aligned DKIM
        "dmarc=temperror; spf=pass smtp.mailfrom=bounces@mail.customer.test": "pass",  # relaxed alignment
        "dkim=pass header.d=evil.test; spf=pass smtp.mailfrom=x@evil.test": "fail",  # authenticated, not aligned
        "dkim=fail header.d=customer.test; spf=softfail smtp.mailfrom=jo@customer.test": "fail",
        "dkim=pass header.i=@customer.test": "pass",
        "none": "fail",
    }
    for results, expected in cases.items():
        assert verdict([ar + results], jo, TRUSTED).status == expected, results
    # Only the topmost trusted header counts; others' headers above it are skipped, not believed.
    forged = ar + "dmarc=pass header.from=customer.test"
    assert verdict([ar + "dmarc=fail", forged], jo, TRUSTED).status == "fail"
    assert verdict(["mx.evil.test; dmarc=pass", MICROSOFT, ar + "dmarc=pass"], jo, TRUSTED).status == "pass"
    assert verdict(["MX.Example.COM; dmarc=pass"], jo, TRUSTED).status == "pass"


def test_a_trusted_header_the_sender_made_unreadable_fails_and_is_never_skipped():
    forged_below = "mx.example.com; dmarc=pass header.from=customer.test"
    for broken in (
        "mx.example.com; spf=pass smtp.mailfrom=" + "a" * 9000 + "@customer.test",  # too long
        "mx.example.com; spf=pass smtp.mailfrom=jo\x01@customer.test",  # a control character
        'mx.example.com; spf=pass smtp.mailfrom="jo@customer.test',  # an unclosed quote
        "mx.example.com; spf=pass (" + "(" * 20 + ")" * 20 + ")",  # comments nested too deep
    ):
        found = verdict([broken, forged_below], "jo@customer.test", TRUSTED)
        assert found.status == "fail" and "cannot be read" in found.reason, broken[:60]
        assert len(found.reason) <= authres.MAX_REASON_CHARS


def test_alignment():
    assert aligned("customer.test", "customer.test") and aligned("mail.customer.test", "customer.test")
    assert aligned("customer.test", "eu.mail.customer.test") and aligned("Customer.Test.", "customer.test")
    assert not aligned("evil.test", "customer.test") and not aligned("notcustomer.test", "customer.test")
    assert not aligned("attacker.com", "com")  # a bare top-level domain aligns with nothing


# Generated headers: what is written is what is read back.
_METHODS = ("spf", "dkim", "dmarc", "arc", "iprev", "auth", "x-local")
_RESULTS = ("pass", "fail", "none", "softfail", "neutral", "temperror", "permerror", "policy")
_PTYPES = ("smtp", "header", "body", "policy")
_PROPS = ("mailfrom", "helo", "d", "i", "s", "b", "from", "auth")
_WORD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@+/!#$%&'*?^`{|}~"


def _word(rng: random.Random, alphabet: str = _WORD) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))


def _gap(rng: random.Random) -> str:
    """Folding white space, sometimes a comment (sometimes nested, with escapes)."""
    choice = rng.random()
    if choice < 0.6:
        return rng.choice((" ", "  ", "\r\n ", "\t"))
    if choice < 0.8:
        return " (" + _word(rng).replace("(", "").replace(")", "") + " (inner \\) \\( still) ) "
    return " (" + _word(rng).replace("(", "").replace(")", "") + ") "


def _value(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.3:
        text = _word(rng, _WORD + ' ;=()"\\')
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"', text
    text = _word(rng)
    return text, text


def _generated(rng: random.Random) -> tuple[str, authres.AuthResults]:
    server = _word(rng, "abcdefghijklmnopqrstuvwxyz0123456789.-")
    head = server + (_gap(rng) + "1" if rng.random() < 0.2 else "")
    parts, results = [head], []
    for _ in range(rng.randint(0, 6)):
        method, result = rng.choice(_METHODS), rng.choice(_RESULTS)
        piece = f"{_gap(rng)}{method}={result}"
        props: dict[str, str] = {}
        reason = ""
        if rng.random() < 0.3:
            written, reason = _value(rng)
            piece += f"{_gap(rng)}reason={written}"
        for _ in range(rng.randint(0, 4)):
            key = f"{rng.choice(_PTYPES)}.{rng.choice(_PROPS)}"
            written, read = _value(rng)
            piece += f"{_gap(rng)}{key}={written}"
            props.setdefault(key, read)
        parts.append(piece)
        results.append(Result(method, result, props, reason[:200]))
    if not results:
        parts.append(" none")
    header = ";".join(parts) + (";" if rng.random() < 0.1 else "")
    return header, authres.AuthResults(server.lower(), tuple(results))


def test_generated_headers_read_back_exactly():
    rng = random.Random(8601)
    for _ in range(3000):
        header, expected = _generated(rng)
        assert parse(header) == expected, header
        assert authres.authserv_id(header) == expected.authserv_id


def test_arbitrary_input_is_refused_in_words_never_with_a_crash():
    rng = random.Random(13)
    alphabet = '()";=\\ \t\r\n.@/+abcXYZ019é\x00\x7f\u2028'
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        with contextlib.suppress(Unreadable):
            parse(text)
        authres.authserv_id(text)
        assert verdict([text], "jo@customer.test", TRUSTED).status in ("pass", "fail")
        # The same noise after the trusted server's name: read to the end, and never a pass by accident.
        found = verdict(["mx.example.com; " + text], "jo@customer.test", TRUSTED)
        assert found.status == "fail" and found.authserv_id == "mx.example.com"


def test_hostile_shapes_are_bounded():
    n = authres.MAX_HEADER_CHARS
    for text in ("(" * n, '"' * n, "\\" * n, "a;" * (n // 2), "-" * n, "a=" * (n // 2), "mx; " + "(x)" * (n // 3)):
        with contextlib.suppress(Unreadable):
            parse(text[:n])
        assert verdict([text] * 50, "jo@customer.test", TRUSTED).status == "fail"
    with pytest.raises(Unreadable, match="longer than"):
        parse("mx.example.com; " + "a" * n)
    with pytest.raises(Unreadable, match="tokens"):
        parse("mx; " + "a=b " * 1200)
