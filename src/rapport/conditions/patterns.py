"""Text patterns a condition may match (`matches`): refused unless their worst case is bounded.

Python's `re` backtracks and cannot be interrupted, and the text it reads comes from customers, so a pattern is
checked before it is saved, on its parsed form: no backreferences, no quantifier inside a quantified group, no
quantified alternation (the shapes that backtrack exponentially), and a bound on the work of the rest. Every
quantifier that can take several lengths multiplies the positions a search may revisit by the number of lengths it
allows (an unbounded one by the longest text a rule reads, `RAPPORT_CONDITION_TEXT_MAX_CHARS`); the product times
that text length must stay within `RAPPORT_CONDITION_PATTERN_MAX_STEPS`. Patterns match case-insensitively.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapport.config import get_settings

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover  (older Pythons, not supported by Rapport)
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)}
_REFS = {sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS}


def check(pattern: str) -> str:
    """The pattern, when it is safe to run over customer text; a ValueError naming the rule or limit otherwise."""
    settings = get_settings()
    cap = settings.condition_pattern_max_chars
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("a pattern is a non-empty text")
    if len(pattern) > cap:
        raise ValueError(f"a pattern is at most {cap} characters (RAPPORT_CONDITION_PATTERN_MAX_CHARS)")
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"the pattern is not a valid regular expression ({exc})") from None
    text = settings.condition_text_max_chars
    steps = text * _factor(parsed, text, inside=False)
    limit = settings.condition_pattern_max_steps
    if steps > limit:
        raise ValueError(
            f"the pattern could take about {steps:,} steps on a {text:,}-character text, more than the limit of "
            f"{limit:,} (RAPPORT_CONDITION_PATTERN_MAX_STEPS): repeat without bound (*, +) at most once and give "
            "other repeats small bounds such as {0,3}"
        )
    return pattern


def _factor(items, text: int, *, inside: bool) -> int:
    """How many ways the items may split a text (the product over their quantifiers), refusing the unsafe shapes."""
    total = 1
    for op, arg in items:
        if op in _REFS:
            raise ValueError("a pattern may not refer back to a group (\\1, (?P=name)): it can backtrack without end")
        if op in _REPEATS:
            low, high, body = arg
            if high > 1 and inside:
                raise ValueError("a pattern may not repeat inside a repeated group, such as (a+)+: it can backtrack "
                                 "catastrophically")  # fmt: skip
            if high > 1 and _has_branch(body):
                raise ValueError("a pattern may not repeat a choice, such as (a|ab)*: it can backtrack "
                                 "catastrophically")  # fmt: skip
            ways = text if high == sre_constants.MAXREPEAT else min(high, text) - low + 1
            total *= max(1, ways) * _factor(body, text, inside=inside or high > 1)
        elif op == sre_constants.SUBPATTERN:
            total *= _factor(arg[-1], text, inside=inside)
        elif op == sre_constants.BRANCH:
            for branch in arg[1]:
                total *= _factor(branch, text, inside=inside)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            total *= _factor(arg[1], text, inside=inside)
        elif op == getattr(sre_constants, "ATOMIC_GROUP", None):
            total *= _factor(arg, text, inside=inside)
    return total


def _has_branch(items) -> bool:
    for op, arg in items:
        if op == sre_constants.BRANCH:
            return True
        if op == sre_constants.SUBPATTERN and _has_branch(arg[-1]):
            return True
    return False


@lru_cache(maxsize=2048)
def compiled(pattern: str) -> re.Pattern:
    """The compiled pattern (checked when its condition was parsed), case-insensitive."""
    return re.compile(pattern, re.IGNORECASE)


def search(pattern: str, text: str) -> bool:
    """Whether the pattern occurs in the first RAPPORT_CONDITION_TEXT_MAX_CHARS characters of `text`."""
    return compiled(pattern).search(text[: get_settings().condition_text_max_chars]) is not None
