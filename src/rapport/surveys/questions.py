"""The question kinds a survey may ask, their scales and how an answer to each is read (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass

CSAT, NPS, CES, EXPECTATIONS, CHOOSE_AGAIN, REASON, TEXT = (
    "csat", "nps", "ces", "expectations", "choose_again", "reason", "text",
)  # fmt: skip
KINDS = (CSAT, NPS, CES, EXPECTATIONS, CHOOSE_AGAIN, REASON, TEXT)
CSAT_POINTS = (2, 3, 5)
CSAT_LABELS = {
    2: ("Bad", "Good"),
    3: ("Bad", "Okay", "Good"),
    5: ("Very poor", "Poor", "Okay", "Good", "Very good"),
}
CES_LABELS = (
    "Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree",
    "Strongly agree",
)  # fmt: skip
EXPECTATION_CHOICES = ("failed", "met", "exceeded")
EXPECTATION_LABELS = ("Failed my expectations", "Met my expectations", "Exceeded my expectations")
DEFAULT_PROMPTS = {
    CSAT: "How would you rate the support you received?",
    NPS: "How likely are you to recommend us to a friend or colleague?",
    CES: "The company made it easy for me to handle my issue.",
    EXPECTATIONS: "How did our service compare with what you expected?",
    CHOOSE_AGAIN: "Would you choose us again?",
    REASON: "What was the main reason for your rating?",
    TEXT: "Anything else you would like to tell us?",
}


@dataclass(frozen=True)
class Point:
    """One answer a scale offers: the score stored and the words shown."""

    score: int
    label: str


def scale(kind: str, points: int | None = None) -> tuple[Point, ...]:
    """The points a scored question offers, lowest first (empty for a pick-list or free text)."""
    if kind == CSAT:
        return tuple(Point(i + 1, label) for i, label in enumerate(CSAT_LABELS[points or 5]))
    if kind == NPS:
        return tuple(Point(i, str(i)) for i in range(11))
    if kind == CES:
        return tuple(Point(i + 1, label) for i, label in enumerate(CES_LABELS))
    if kind == EXPECTATIONS:
        return tuple(Point(i + 1, label) for i, label in enumerate(EXPECTATION_LABELS))
    if kind == CHOOSE_AGAIN:
        return (Point(0, "No"), Point(1, "Yes"))
    return ()


def scored(kind: str) -> bool:
    """Whether answers to `kind` are a score on a scale (else a choice or text)."""
    return kind in (CSAT, NPS, CES, EXPECTATIONS, CHOOSE_AGAIN)


def in_range(kind: str, points: int | None, score: int) -> bool:
    """Whether `score` is a point on the question's scale."""
    return any(p.score == score for p in scale(kind, points))


def choice_of(kind: str, score: int) -> str | None:
    """The word stored beside a score where the scale has one (expectations: failed, met, exceeded)."""
    if kind == EXPECTATIONS:
        return EXPECTATION_CHOICES[score - 1]
    if kind == CHOOSE_AGAIN:
        return "yes" if score else "no"
    return None


def language_of(code: str | None, available: list[str]) -> str | None:
    """The translation to use for a customer's language (`pt-BR` finds `pt-br`, then `pt`), or None (default)."""
    code = (code or "").strip().lower().replace("_", "-")
    if not code:
        return None
    for candidate in (code, code.split("-", 1)[0]):
        if candidate in available:
            return candidate
    return None


def localised(question: dict, language: str | None) -> dict:
    """The question in `language` where a translation exists (else as written): its prompt, and `labels` (one per
    point) and `shown` (one per reason) for what is shown; the stored values never change with the language."""
    out = dict(question)
    found = language_of(language, list((question.get("translations") or {}).keys()))
    t = (question.get("translations") or {}).get(found) if found else None
    if t:
        out["prompt"] = t["prompt"]
        if t.get("labels"):
            out["labels"] = list(t["labels"])
        if t.get("options"):
            out["shown"] = list(t["options"])
    return out


def points_of(question: dict) -> tuple[Point, ...]:
    """The question's points with its labels in its language (`localised`), lowest first."""
    points = scale(question["kind"], question.get("points"))
    labels = question.get("labels")
    if labels and len(labels) == len(points):
        return tuple(Point(p.score, label) for p, label in zip(points, labels, strict=True))
    return points
