"""Sender authentication: reading `Authentication-Results` (RFC 8601) and deciding whether a mail's From is proven.

Rapport checks no SPF, DKIM or DMARC itself (that needs DNS, and the receiving server has done it): it reads what
the receiving server wrote, and only that. An inbox names the authserv-ids it trusts (`trusted_authserv_ids`);
any other `Authentication-Results` is ignored, and of the trusted server's only the topmost one counts: the server
adds its header above everything the sender wrote, so one that the sender forged lies lower in the mail.

The verdict is `pass` (the From domain is authenticated), `fail` (anything else: DMARC failed, nothing aligned, no
header from the trusted server, or a header that cannot be read) or `unchecked` (the inbox trusts no server). A
DMARC result decides when there is one (`pass`, or `fail`); otherwise an SPF or DKIM pass whose domain is aligned
with the From domain passes. Alignment is relaxed, approximated without the Public Suffix List: the same domain,
or one a subdomain of the other, the shorter of at least two labels.

The header is hostile input: it is read by a single pass over at most MAX_HEADER_CHARS characters, with bounded
comment nesting and token counts, and no regular expression, so no mail makes this slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_HEADERS = 20  # Authentication-Results headers read per mail, from the top; the trusted one is near the top
MAX_HEADER_CHARS = 8192  # a longer header is unreadable (real ones are a few hundred characters)
MAX_TOKENS = 1000
MAX_COMMENT_DEPTH = 8
MAX_RESULTS = 50
MAX_REASON_CHARS = 500
_SPACE = " \t\r\n"
_STOP = _SPACE + '()";='


class Unreadable(ValueError):
    """The header does not follow RFC 8601 (or is beyond the bounds above)."""


@dataclass(frozen=True)
class Result:
    """One method's result: `dkim=pass header.d=example.com` is ("dkim", "pass", {"header.d": "example.com"})."""

    method: str
    result: str
    props: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.method}={self.result}"


@dataclass(frozen=True)
class AuthResults:
    """One `Authentication-Results` header: who wrote it, and what they found."""

    authserv_id: str
    results: tuple[Result, ...]


@dataclass(frozen=True)
class Verdict:
    """Whether the From is authenticated: status `pass`, `fail` or `unchecked`, in words, and by whom."""

    status: str
    reason: str
    authserv_id: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "reason", self.reason[:MAX_REASON_CHARS])  # parts of it come from the mail

    def as_meta(self) -> dict:
        """The verdict as stored with the message (`meta.email.auth`)."""
        return {"status": self.status, "reason": self.reason, "authserv_id": self.authserv_id}


@dataclass(frozen=True)
class _Token:
    kind: str  # "w" a word, "q" a quoted string, ";" or "="
    text: str
    glued: bool  # no space or comment before it


def tokenize(value: str) -> list[_Token]:
    """The header's tokens, comments dropped; raises Unreadable. Linear in the length of `value`."""
    if len(value) > MAX_HEADER_CHARS:
        raise Unreadable(f"longer than {MAX_HEADER_CHARS} characters")
    out: list[_Token] = []
    for token in _tokens(value):
        if len(out) >= MAX_TOKENS:
            raise Unreadable(f"more than {MAX_TOKENS} tokens")
        out.append(token)
    return out


def _tokens(value: str) -> Iterator[_Token]:
    i, n, glued = 0, len(value), False
    while i < n:
        c = value[i]
        if c in _SPACE:
            i, glued = i + 1, False
            continue
        if c == "(":
            i, glued = _skip_comment(value, i), False
            continue
        if c == ")":
            raise Unreadable("a ')' without its '('")
        if c == '"':
            text, i = _quoted(value, i)
            yield _Token("q", text, glued)
        elif c in ";=":
            yield _Token(c, c, glued)
            i += 1
        else:
            j = i
            while j < n and value[j] not in _STOP:
                if value[j] < " " or value[j] == "\x7f":
                    raise Unreadable("a control character")
                j += 1
            yield _Token("w", value[i:j], glued)
            i = j
        glued = True


def _skip_comment(value: str, i: int) -> int:
    depth, i, n = 0, i, len(value)
    while i < n:
        c = value[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
            if depth > MAX_COMMENT_DEPTH:
                raise Unreadable(f"comments nested deeper than {MAX_COMMENT_DEPTH}")
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise Unreadable("a comment without its ')'")


def _quoted(value: str, i: int) -> tuple[str, int]:
    chars: list[str] = []
    i += 1
    n = len(value)
    while i < n:
        c = value[i]
        if c == '"':
            return "".join(chars), i + 1
        if c == "\\":
            i += 1
            if i >= n:
                break
            c = value[i]
        chars.append(c)
        i += 1
    raise Unreadable("a quoted string without its closing '\"'")


class _Reader:
    def __init__(self, tokens: list[_Token]):
        self.tokens, self.pos = tokens, 0

    def peek(self, ahead: int = 0) -> _Token | None:
        at = self.pos + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self, *kinds: str, what: str) -> _Token:
        token = self.peek()
        if token is None or token.kind not in kinds:
            found = f"'{token.text[:40]}'" if token else "the end"
            raise Unreadable(f"expected {what}, found {found}")
        self.pos += 1
        return token

    def value(self, what: str) -> str:
        """A property value: a quoted string, or a word and whatever is glued to it (base64 may hold '=')."""
        first = self.take("w", "q", what=what)
        if first.kind == "q":
            return first.text
        parts = [first.text]
        while (nxt := self.peek()) is not None and nxt.glued and nxt.kind in ("w", "="):
            parts.append(nxt.text)
            self.pos += 1
        return "".join(parts)


def authserv_id(value: str) -> str | None:
    """Who wrote the header (lower-cased), or None when it names nobody (a header that starts with a result)."""
    # Only the first two tokens are read: whatever follows (which may echo what the sender chose, such as a
    # long or odd address) must never make the trusted server's header look like nobody's.
    tokens: list[_Token] = []
    try:
        for token in _tokens(value[:MAX_HEADER_CHARS]):
            tokens.append(token)
            if len(tokens) == 2:
                break
    except Unreadable:
        return None
    if not tokens or tokens[0].kind not in ("w", "q") or (len(tokens) > 1 and tokens[1].kind == "="):
        return None
    return tokens[0].text.lower() or None


def parse(value: str) -> AuthResults:
    """One header value, read strictly; raises Unreadable."""
    reader = _Reader(tokenize(value))
    first = reader.take("w", "q", what="the authserv-id")
    if (nxt := reader.peek()) is not None and nxt.kind == "=":
        raise Unreadable("no authserv-id before the results")
    if (nxt := reader.peek()) is not None and nxt.kind == "w":
        version = reader.take("w", what="a version").text
        if version != "1":
            raise Unreadable(f"version {version[:20]} (only version 1 is defined)")
    results: list[Result] = []
    if reader.peek() is None:
        raise Unreadable("no results, not even 'none'")
    while reader.peek() is not None:
        reader.take(";", what="';'")
        if reader.peek() is None:
            break  # a trailing ';' is common and harmless
        nxt = reader.peek(1)
        if not results and reader.peek().text.lower() == "none" and (nxt is None or nxt.kind == ";"):
            reader.pos += 1
            continue
        results.append(_result(reader))
        if len(results) > MAX_RESULTS:
            raise Unreadable(f"more than {MAX_RESULTS} results")
    return AuthResults(first.text.lower(), tuple(results))


def _result(reader: _Reader) -> Result:
    method = reader.take("w", what="a method").text.lower()
    method, _, version = method.partition("/")
    if not method or (version and not version.isdigit()):
        raise Unreadable(f"'{method[:40]}' is not a method")
    reader.take("=", what=f"'=' after {method[:40]}")
    result = reader.take("w", what=f"the result of {method[:40]}").text.lower()
    props: dict[str, str] = {}
    reason = ""
    while (token := reader.peek()) is not None and token.kind != ";":
        key = reader.take("w", what="a property").text.lower()
        reader.take("=", what=f"'=' after {key[:40]}")
        text = reader.value(f"the value of {key[:40]}")
        if key == "reason":
            reason = text[:200]
        elif "." in key.strip("."):
            props.setdefault(key, text)
        # A property without a type ("action=none", as some servers write) says nothing this reads: skipped.
    return Result(method, result, props, reason)


def verdict(headers: list[str], sender: str | None, trusted: frozenset[str]) -> Verdict:
    """Is the From (`sender`) authenticated by a trusted server? `headers`: Authentication-Results, topmost first."""
    if not trusted:
        return Verdict("unchecked", "this inbox trusts no authserv-id, so the sender is not checked")
    for value in headers[:MAX_HEADERS]:
        server = authserv_id(value)
        if server is None or server not in trusted:
            continue  # another server's, or a header naming nobody: not evidence
        try:
            found = parse(value)
        except Unreadable as exc:
            return Verdict("fail", f"the Authentication-Results of {server} cannot be read: {exc}", server)
        return _decide(found, _domain(sender))
    names = ", ".join(sorted(trusted))
    return Verdict("fail", f"the mail carries no Authentication-Results from {names}")


def _decide(found: AuthResults, from_domain: str) -> Verdict:
    server = found.authserv_id
    if not from_domain:
        return Verdict("fail", "the mail has no From domain to authenticate", server)
    dmarc = [r for r in found.results if r.method == "dmarc"]
    if any(r.result == "fail" for r in dmarc):
        return Verdict("fail", f"{server} says dmarc=fail for {from_domain}", server)
    for r in dmarc:
        claimed = _domain(r.props.get("header.from", ""))
        if r.result == "pass" and (not claimed or claimed == from_domain):
            return Verdict("pass", f"{server} says dmarc=pass for {from_domain}", server)
    for r in found.results:
        if r.result != "pass":
            continue
        if r.method == "dkim":
            signer = _domain(r.props.get("header.d") or r.props.get("header.i", ""))
        elif r.method == "spf":
            signer = _domain(r.props.get("smtp.mailfrom", ""))
        else:
            continue
        if signer and aligned(signer, from_domain):
            return Verdict("pass", f"{server} says {r.method}=pass for {signer}, aligned with {from_domain}", server)
    said = ", ".join(str(r)[:60] for r in found.results[:6]) or "none"
    return Verdict("fail", f"{server} authenticated nothing aligned with {from_domain} ({said})", server)


def aligned(one: str, other: str) -> bool:
    """Relaxed alignment without the Public Suffix List: equal, or one a subdomain of the other (2+ labels)."""
    one, other = one.lower().rstrip("."), other.lower().rstrip(".")
    if one == other:
        return True
    shorter, longer = sorted((one, other), key=len)
    return "." in shorter and longer.endswith("." + shorter)


def _domain(address: str) -> str:
    """The domain of an address, `@domain` or a bare domain, lower-cased."""
    return address.rsplit("@", 1)[-1].strip().strip("<>").lower().rstrip(".")
