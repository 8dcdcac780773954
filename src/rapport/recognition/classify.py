"""How an answered survey is read: each scored answer a positive, neutral or negative signal (pure, no database).

The thresholds are in docs/recognition.md. An answer with any negative signal is negative (and opens a recovery
follow-up); otherwise one with any positive signal is positive (kudos); otherwise neutral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapport.surveys.questions import CES, CHOOSE_AGAIN, CSAT, EXPECTATIONS, NPS, TEXT

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
# The signals that ask for a personal thank-you (a promoter, expectations exceeded), not merely kudos.
THANKS_SIGNALS = frozenset({"nps_promoter", "expectations_exceeded"})
SIGNAL_LABELS = {
    "csat_top": "Top CSAT",
    "csat_low": "Low CSAT",
    "nps_promoter": "Promoter",
    "nps_detractor": "Detractor",
    "expectations_exceeded": "Expectations exceeded",
    "expectations_failed": "Expectations failed",
    "ces_easy": "Easy (effort)",
    "ces_high_effort": "High effort",
    "choose_again_yes": "Would choose us again",
    "choose_again_no": "Would not choose us again",
}
# A control character other than a line break or tab never reaches a page, even escaped.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
BLANK_LINES = re.compile(r"\n{3,}")


@dataclass
class Verdict:
    """What an answer says: its classification, its signals, a one-line summary and the customer's comment."""

    classification: str
    positive: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)
    summary: str = ""
    comment: str = ""

    @property
    def thanks(self) -> bool:
        """Whether the answer asks for a personal thank-you (and is not also unhappy)."""
        return self.classification == POSITIVE and bool(THANKS_SIGNALS & set(self.positive))


def csat_signal(score: int, points: int) -> str | None:
    """5 points: 4-5 top, 1-2 low; 3 points: 3 top, 1 low; 2 points: 2 top, 1 low."""
    if points == 5:
        return "csat_top" if score >= 4 else "csat_low" if score <= 2 else None
    return "csat_top" if score == points else "csat_low" if score == 1 else None


def signal(kind: str, score: int | None, points: int | None = None) -> str | None:
    """The signal of one scored answer, or None (neutral, unscored)."""
    if score is None:
        return None
    if kind == CSAT:
        return csat_signal(score, points or 5)
    if kind == NPS:
        return "nps_promoter" if score >= 9 else "nps_detractor" if score <= 6 else None
    if kind == EXPECTATIONS:
        return {3: "expectations_exceeded", 1: "expectations_failed"}.get(score)
    if kind == CES:
        # CES 2.0 here is agreement with "The company made it easy…": 1-3 (disagreeing) is high effort.
        return "ces_easy" if score >= 5 else "ces_high_effort" if score <= 3 else None
    if kind == CHOOSE_AGAIN:
        return "choose_again_yes" if score == 1 else "choose_again_no"
    return None


NEGATIVE_SIGNALS = frozenset({"csat_low", "nps_detractor", "expectations_failed", "ces_high_effort"})
# "would not choose us again" colours the classification but opens no follow-up on its own (not one of the four).
FOLLOWUP_SIGNALS = NEGATIVE_SIGNALS


def clean(text: str, limit: int) -> str:
    """A comment made safe to keep and show: no control characters, few blank lines, at most `limit` characters."""
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = BLANK_LINES.sub("\n\n", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _summary_part(kind: str, score: int, points: int | None, choice: str | None) -> str:
    if kind == CSAT:
        return f"CSAT {score}/{points or 5}"
    if kind == NPS:
        return f"NPS {score}"
    if kind == CES:
        return f"CES {score}/7"
    if kind == EXPECTATIONS:
        return f"expectations {choice or score}"
    return f"would choose us again: {choice or score}"


def read(questions: list[dict], answers: list, *, comment_limit: int) -> Verdict:
    """The verdict of a request's answers (`answers`: rows with question, kind, score, choice, text)."""
    points = {q.get("key"): q.get("points") for q in questions}
    positive, negative, parts, texts = [], [], [], []
    for a in answers:
        s = signal(a.kind, a.score, points.get(a.question))
        if a.score is not None and a.kind in (CSAT, NPS, CES, EXPECTATIONS, CHOOSE_AGAIN):
            parts.append(_summary_part(a.kind, a.score, points.get(a.question), a.choice))
        if s in NEGATIVE_SIGNALS or s == "choose_again_no":
            negative.append(s)
        elif s:
            positive.append(s)
        if a.text and a.kind in (TEXT, NPS):  # the comment, and the reason given with an NPS score
            texts.append(a.text)
    classification = NEGATIVE if negative else POSITIVE if positive else NEUTRAL
    summary = ", ".join(parts)[:200]
    return Verdict(classification, positive, negative, summary, clean("\n\n".join(texts), comment_limit))
