"""The survey report as CSV: one line per figure, so a spreadsheet can pivot it. Every text cell that begins like a
formula (= + - @, a tab or a carriage return) is prefixed with an apostrophe, so opening the file runs nothing."""

from __future__ import annotations

import csv
import io

from rapport.surveys.report import Estimate, Figures, Measure
from rapport.surveys.reporting import DIMENSIONS, Row, SurveyReport

HEADER = ("section", "question", "group", "item", "count", "of", "value", "low", "high", "note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TOO_FEW = "too few answers"


def safe(cell):
    """A cell a spreadsheet shows as text: text that starts like a formula gets a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def _scaled(estimate: Estimate | None, kind: str) -> tuple:
    if estimate is None:
        return ("", "", "")
    factor = 1 if kind == "mean" else 100  # shares and NPS in percent (NPS −100…100), means on their scale
    return tuple("" if x is None else round(x * factor, 2) for x in (estimate.value, estimate.low, estimate.high))


def _measure(section: str, question: str, group: str, m: Measure, answers: int, enough: bool) -> tuple:
    if not enough:
        return (section, question, group, m.name, m.count, answers, "", "", "", TOO_FEW)
    return (section, question, group, m.name, m.count, answers, *_scaled(m.estimate, m.kind), "")


def _question(q: Figures):
    label = q.key if q.points is None else f"{q.key} ({q.points} points)"
    for bar in q.distribution:
        share = "" if bar.share is None else round(100 * bar.share, 2)
        yield ("distribution", label, "All", bar.label, bar.count, q.answers, share, "", "", "")
    if q.kind == "text":
        yield ("distribution", label, "All", "comments", q.answers, q.answers, "", "", "", "")
    for m in q.measures:
        yield _measure("figure", label, "All", m, q.answers, q.enough)


def _rows(section: str, rows: list[Row]):
    for r in rows:
        rate = _scaled(r.rate, "share") if r.enough else ("", "", "")
        yield (section, "", r.label, "response rate", r.answered, r.sent, *rate, "" if r.enough else TOO_FEW)
        yield (section, "", r.label, "still open", r.open, r.sent, "", "", "", "")
        f = r.figures
        if f is not None and f.headline is not None:
            yield _measure(section, f.key, r.label, f.headline, f.answers, f.enough)


def render(got: SurveyReport) -> str:
    """The whole report as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    lines = [("period", "", "", f"{got.slice.since} to {got.slice.until}", "", "", "", "", "", "")]
    if got.survey is not None:
        lines.append(("survey", "", "", got.survey.name, "", "", "", "", "", ""))
        lines.extend(_rows("all", [got.totals]))
        for q in got.questions:
            lines.extend(_question(q))
        lines.extend(_rows("by channel", got.by_channel))
        lines.extend(_rows("by segment", got.by_segment))
        lines.extend(_rows(f"by {DIMENSIONS[got.slice.by].lower()}", got.compare))
    for line in lines:
        writer.writerow([safe(cell) for cell in line])
    return out.getvalue()
