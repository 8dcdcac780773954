"""Parsing a person's search text into safe terms: words, "quoted phrases" and a trailing * for a prefix.

Nothing the user types reaches a search engine as syntax. Each term keeps only letters, digits, spaces and a
few joining marks (@ . - + / #), none of which FTS5 or tsquery read as an operator; the repository then
quotes every term as a phrase (FTS5) or hands it to phraseto_tsquery (PostgreSQL), which never fail on text.
So `NEAR(`, `OR`, `-x`, `a:b`, `^` and stray quotes are searched as plain words or dropped as punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapport.kit.problems import Invalid

MAX_QUERY_CHARS = 500
# More terms than this is not a search a person meant; it also keeps the engines' work bounded.
MAX_TERMS = 20
# A shorter prefix matches a large share of the vocabulary, which neither engine answers quickly.
MIN_PREFIX_CHARS = 3

# A "quoted phrase" (an unclosed quote runs to the end) or a bare run of non-space, non-quote characters;
# either may be followed by * to ask for a prefix match on its last word.
_CHUNK = re.compile(r'"([^"]*)(?:"|$)(\*?)|([^\s"]+)')
# Everything but letters, digits, whitespace and harmless joiners becomes a space; so do joiners that do not
# join two letters or digits ("-refund", "refund.").
_UNSAFE = re.compile(r"[^\w\s@.+/#-]|_|(?<![^\W_])[@.+/#-]+|[@.+/#-]+(?![^\W_])")
_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Term:
    """One thing every hit must contain: a word or phrase, its last word optionally a prefix."""

    text: str
    words: tuple[str, ...]
    prefix: bool = False


def parse(raw: str) -> list[Term]:
    """The terms of a user's query; Invalid when it is too long, empty or asks for too little or too much."""
    if len(raw) > MAX_QUERY_CHARS:
        raise Invalid(
            f"The search query is {len(raw)} characters long; the limit is {MAX_QUERY_CHARS} (MAX_QUERY_CHARS).",
            errors=[{"field": "q"}],
        )
    terms: list[Term] = []
    for match in _CHUNK.finditer(raw):
        quoted, quoted_star, bare = match.groups()
        if bare is not None:
            prefix = bare.endswith("*")
            chunk = bare.rstrip("*")
        else:
            prefix = bool(quoted_star)
            chunk = quoted
        term = _term(chunk, prefix)
        if term is not None and term not in terms:
            terms.append(term)
    if not terms:
        raise Invalid(
            "The search query has no words to search for; type at least one word or number.",
            errors=[{"field": "q"}],
        )
    if len(terms) > MAX_TERMS:
        raise Invalid(
            f"The search query has {len(terms)} terms; the limit is {MAX_TERMS}. Use fewer words.",
            errors=[{"field": "q"}],
        )
    return terms


def _term(chunk: str, prefix: bool) -> Term | None:
    text = _SPACE.sub(" ", _UNSAFE.sub(" ", chunk)).strip()
    words = tuple(_WORD.findall(text))
    if not words:
        return None
    if prefix and len(words[-1]) < MIN_PREFIX_CHARS:
        raise Invalid(
            f"A prefix search needs at least {MIN_PREFIX_CHARS} letters before the *: '{words[-1]}*' is too short.",
            errors=[{"field": "q"}],
        )
    return Term(text=text.lower(), words=tuple(w.lower() for w in words), prefix=prefix)
