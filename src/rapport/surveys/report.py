"""The survey report's statistics (pure, no database): each question's distribution and the figures read from it,
with 95 % intervals, and "too few answers" below a threshold. The formulas are written out in docs/surveys.md."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rapport.surveys import questions

Z = 1.96  # 95 %


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95 % interval; `low`/`high` are None when it has no interval (fewer than two answers)."""

    value: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Measure:
    """One named figure of a question: a share (0–1), an NPS (−1…1) or a mean on the question's scale."""

    name: str
    kind: str  # "share", "nps" or "mean"
    count: int  # the answers it counts (a share's numerator; the answers for a mean or NPS)
    estimate: Estimate | None  # None: no answers


@dataclass(frozen=True)
class Bar:
    """One point of a distribution: its score (or choice), words and how many gave it."""

    value: int | str
    label: str
    count: int
    share: float | None


@dataclass
class Figures:
    """A question's distribution over the answers of a slice, and the figures read from it."""

    key: str
    kind: str
    prompt: str
    points: int | None
    answers: int
    enough: bool  # at least the report's threshold of answers: below it no figure is shown
    distribution: list[Bar] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)

    @property
    def headline(self) -> Measure | None:
        """The figure a comparison table shows for this question (the first one)."""
        return self.measures[0] if self.measures else None


def _clip(x: float, low: float, high: float) -> float:
    return min(high, max(low, x))


def wilson(k: int, n: int, z: float = Z) -> Estimate | None:
    """The share k/n with its Wilson score interval (None when n is 0)."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError("k must be between 0 and n")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # Rounding can leave an end a hair past p or outside [0, 1]; the interval always holds its estimate.
    return Estimate(p, min(p, _clip(centre - half, 0.0, 1.0)), max(p, _clip(centre + half, 0.0, 1.0)))


def mean_interval(counts: dict[int, int], lowest: int, highest: int, z: float = Z) -> Estimate | None:
    """The mean score with a normal interval (z times the standard error of the sample), kept on the scale."""
    n = sum(counts.values())
    if n <= 0:
        return None
    mean = sum(score * c for score, c in counts.items()) / n
    if n < 2:
        return Estimate(mean, None, None)
    variance = sum(c * (score - mean) ** 2 for score, c in counts.items()) / (n - 1)
    half = z * math.sqrt(variance / n)
    return Estimate(
        mean, min(mean, _clip(mean - half, lowest, highest)), max(mean, _clip(mean + half, lowest, highest))
    )


def nps(promoters: int, passives: int, detractors: int, z: float = Z) -> Estimate | None:
    """NPS as a fraction (−1…1) with a normal interval on the variance of the trinomial difference.

    The variance of p₊ − p₋ over n answers is (p₊ + p₋ − (p₊ − p₋)²) / n; it is taken with each share smoothed as
    (count + 1) / (n + 3), so that all-promoters or all-detractors still get an interval of honest width.
    """
    n = promoters + passives + detractors
    if n <= 0:
        return None
    value = (promoters - detractors) / n
    if n < 2:
        return Estimate(value, None, None)
    plus, minus = (promoters + 1) / (n + 3), (detractors + 1) / (n + 3)
    half = z * math.sqrt(max(0.0, plus + minus - (plus - minus) ** 2) / n)
    return Estimate(value, min(value, _clip(value - half, -1.0, 1.0)), max(value, _clip(value + half, -1.0, 1.0)))


def _share(name: str, k: int, n: int) -> Measure:
    return Measure(name, "share", k, wilson(k, n))


def _top_box(points: int) -> tuple[str, tuple[int, ...]]:
    if points == 5:
        return "Top-2-box (4–5)", (4, 5)
    return f"Top box ({points})", (points,)


def _scored_measures(kind: str, points: int | None, counts: dict[int, int], n: int) -> list[Measure]:
    scale = questions.scale(kind, points)
    lowest, highest = scale[0].score, scale[-1].score
    mean = Measure("Mean", "mean", n, mean_interval(counts, lowest, highest))
    if kind == questions.CSAT:
        name, top = _top_box(points or 5)
        return [_share(name, sum(counts.get(s, 0) for s in top), n), mean]
    if kind == questions.NPS:
        promoters = sum(counts.get(s, 0) for s in (9, 10))
        detractors = sum(counts.get(s, 0) for s in range(7))
        passives = n - promoters - detractors
        return [
            Measure("NPS", "nps", n, nps(promoters, passives, detractors)),
            _share("Promoters (9–10)", promoters, n),
            _share("Passives (7–8)", passives, n),
            _share("Detractors (0–6)", detractors, n),
            mean,
        ]
    if kind == questions.CES:
        return [mean, _share("Easy (5–7)", sum(counts.get(s, 0) for s in (5, 6, 7)), n)]
    if kind == questions.EXPECTATIONS:
        shares = [
            _share(word.capitalize(), counts.get(i + 1, 0), n) for i, word in enumerate(questions.EXPECTATION_CHOICES)
        ]
        met_or_better = _share("Met or exceeded", counts.get(2, 0) + counts.get(3, 0), n)
        return [met_or_better, *shares]
    return [_share("Yes", counts.get(1, 0), n)]  # choose_again


def figures(
    key: str,
    kind: str,
    prompt: str,
    *,
    points: int | None = None,
    options: list[str] | None = None,
    scores: dict[int, int] | None = None,
    choices: dict[str, int] | None = None,
    comments: int = 0,
    min_answers: int = 30,
) -> Figures:
    """A question's distribution (every point, none flattened) and its figures, given the counts of a slice."""
    scores, choices = scores or {}, choices or {}
    if questions.scored(kind):
        scale = questions.scale(kind, points)
        # An answer off the scale (stored before a change of points) is kept visible, not folded into a point.
        extra = sorted(s for s in scores if not any(p.score == s for p in scale))
        n = sum(scores.values())
        bars = [Bar(p.score, p.label, scores.get(p.score, 0), scores.get(p.score, 0) / n if n else None) for p in scale]
        bars += [Bar(s, f"{s} (off the scale)", scores[s], scores[s] / n) for s in extra]
        inside = {s: c for s, c in scores.items() if s not in extra}
        measures = _scored_measures(kind, points, inside, sum(inside.values())) if inside else []
    elif kind == questions.REASON:
        n = sum(choices.values())
        listed = list(options or [])
        listed += sorted(c for c in choices if c not in listed)
        bars = [Bar(c, c, choices.get(c, 0), choices.get(c, 0) / n if n else None) for c in listed]
        measures = [_share(c, choices.get(c, 0), n) for c in listed] if n else []
    else:
        n, bars, measures = comments, [], []
    return Figures(key, kind, prompt, points, n, n >= min_answers, bars, measures)


def response_rate(sent: int, answered: int) -> Estimate | None:
    """The share of sent surveys that were answered, with its Wilson interval."""
    return wilson(answered, sent)
