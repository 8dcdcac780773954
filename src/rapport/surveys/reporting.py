"""The survey report over a slice (a survey, a period, an agent, team, channel or category): the counts are
aggregated in SQL (grouped by version, question and point, never one row per answer), the figures by report.py.

A request belongs to the period by `sent_at`; withdrawn requests count nowhere. "By agent" is the conversation's
assignee; "segment" is the customer's segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, Float, and_, case, func, null, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.problems import NotFound
from rapport.models import (
    Agent,
    Category,
    Conversation,
    Customer,
    Survey,
    SurveyAnswer,
    SurveyRequest,
    SurveyVersion,
    Team,
)
from rapport.surveys import report
from rapport.surveys.report import Estimate, Figures
from rapport.surveys.report_slice import COMPARE, Slice, checked, day, parse

__all__ = ["COMPARE", "DIMENSIONS", "Slice", "SurveyReport", "checked", "choices", "day", "parse", "survey_report"]

COUNTED = ("sent", "answered", "expired")  # sent at some point and not withdrawn
DIMENSIONS = {
    "agent": "Agent", "team": "Team", "channel": "Channel", "category": "Category", "segment": "Segment",
    "wait": "First reply wait", "reopened": "Reopening",
}  # fmt: skip
NONE_LABELS = {
    "agent": "Unassigned", "team": "No team", "category": "No category", "segment": "No segment",
    "wait": "No reply before solving",
}  # fmt: skip
# The first reply's wait in bands (seconds, upper bound excluded); bands keep their order in the table.
WAIT_BANDS = ((3600, "Under 1 hour"), (4 * 3600, "1 to 4 hours"), (8 * 3600, "4 to 8 hours"),
              (24 * 3600, "8 to 24 hours"), (None, "A day or more"))  # fmt: skip
ORDERED = {"wait": [label for _, label in WAIT_BANDS], "reopened": ["Not reopened", "Reopened"]}


class seconds_between(ColumnElement):  # noqa: N801 (a SQL function, named as one)
    """The seconds from `start` to `end` (two UTCDateTime columns), in each database's own date arithmetic."""

    inherit_cache = True
    type = Float()

    def __init__(self, end, start):
        self.end, self.start = end, start


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    end, start = compiler.process(element.end, **kw), compiler.process(element.start, **kw)
    # Whole seconds: julianday is a float of days, and 3600 s must not read as 3599.99.
    return f"round((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between)
def _seconds_other(element, compiler, **kw):
    end, start = compiler.process(element.end, **kw), compiler.process(element.start, **kw)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


def _wait_band():
    wait = seconds_between(Conversation.first_reply_at, Conversation.created_at)
    whens = [(wait < limit, label) for limit, label in WAIT_BANDS if limit is not None]
    return case((Conversation.first_reply_at.is_(None), None), *whens, else_=WAIT_BANDS[-1][1])


@dataclass
class Row:
    """One group of a breakdown: sent, answered and not, the response rate and the headline question's figures."""

    value: str | int | None
    label: str
    sent: int = 0
    answered: int = 0
    open: int = 0  # sent, still answerable
    rate: Estimate | None = None
    enough: bool = False  # enough surveys sent for the rate to be shown
    figures: Figures | None = None

    @property
    def unanswered(self) -> int:
        """Sent and not answered (expired or still open)."""
        return self.sent - self.answered


@dataclass
class SurveyReport:
    """What the report page, its CSV and the API show."""

    slice: Slice
    survey: Survey | None
    surveys: list[tuple[int, str]]
    min_answers: int
    totals: Row
    questions: list[Figures] = field(default_factory=list)
    by_channel: list[Row] = field(default_factory=list)
    by_segment: list[Row] = field(default_factory=list)
    compare: list[Row] = field(default_factory=list)


def _survey(session: Session, survey_id: int | None) -> Survey | None:
    if survey_id is not None:
        row = session.get(Survey, survey_id)
        if row is None:
            raise NotFound(f"There is no survey {survey_id}.")
        return row
    # By default the survey in use: active first, then by name.
    return session.scalars(select(Survey).order_by(Survey.active.desc(), Survey.name, Survey.id).limit(1)).first()


def _dimension(by: str):
    return {
        "agent": Conversation.assignee_id, "team": Conversation.team_id, "channel": SurveyRequest.channel,
        "category": Conversation.category_id, "segment": Customer.segment,
        "reopened": case((Conversation.reopen_count > 0, "Reopened"), else_="Not reopened"), "wait": _wait_band(),
    }[by]  # fmt: skip


def _where(query, sl: Slice, survey_id: int, by: str | None = None):
    """The slice's joins and conditions on a query over survey_requests."""
    start = datetime.combine(sl.since, time(), UTC)
    end = datetime.combine(sl.until + timedelta(days=1), time(), UTC)
    query = query.where(
        SurveyRequest.survey_id == survey_id, SurveyRequest.sent_at >= start, SurveyRequest.sent_at < end,
        SurveyRequest.state.in_(COUNTED),
    )  # fmt: skip
    # Join the conversation only when the slice or the grouping reads it: most reports need only the requests.
    if by in ("agent", "team", "category", "wait", "reopened") or sl.agent_id or sl.team_id or sl.category_id:
        query = query.join(Conversation, Conversation.id == SurveyRequest.conversation_id)
    if by == "segment":
        query = query.join(Customer, Customer.id == SurveyRequest.customer_id)
    for column, value in (
        (Conversation.assignee_id, sl.agent_id), (Conversation.team_id, sl.team_id),
        (Conversation.category_id, sl.category_id), (SurveyRequest.channel, sl.channel),
    ):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    return query


def _versions(session: Session, survey: Survey) -> dict[int, dict[str, dict]]:
    rows = session.execute(
        select(SurveyVersion.id, SurveyVersion.questions).where(SurveyVersion.survey_id == survey.id)
    )
    return {vid: {q["key"]: q for q in items} for vid, items in rows}


def _grouped(session: Session, sl: Slice, survey_id: int, by: str, key: str | None, versions: set[int]) -> dict:
    """Per group: surveys sent, answered, still open, and the first question's scores, in one pass over the requests.

    The first question's answer is joined on (request, question), unique, so each request is counted once.
    """
    column = _dimension(by)
    score = SurveyAnswer.score if key else null()
    query = select(
        column, score, func.count(), func.count(SurveyRequest.answered_at),
        func.sum(case((SurveyRequest.state == "sent", 1), else_=0)),
    ).select_from(SurveyRequest)  # fmt: skip
    if key:
        query = query.outerjoin(
            SurveyAnswer,
            and_(SurveyAnswer.request_id == SurveyRequest.id, SurveyAnswer.question == key,
                 SurveyRequest.version_id.in_(versions)),
        )  # fmt: skip
    out: dict = {}
    for value, point, sent, answered, still in session.execute(
        _where(query, sl, survey_id, by).group_by(column, score)
    ):
        group = out.setdefault(value, [0, 0, 0, {}])
        group[0] += sent
        group[1] += answered
        group[2] += int(still or 0)
        if point is not None:
            group[3][point] = group[3].get(point, 0) + sent
    return out


def _labels(session: Session, by: str, values) -> dict:
    ids = [v for v in values if v is not None]
    model = {"agent": Agent, "team": Team, "category": Category}.get(by)
    if model is None or not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _distribution(session: Session, sl: Slice, survey: Survey, versions: dict, min_answers: int) -> list[Figures]:
    query = (
        select(SurveyRequest.version_id, SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.choice, func.count())
        .select_from(SurveyRequest)
        .join(SurveyAnswer, SurveyAnswer.request_id == SurveyRequest.id)
    )
    grouped = _where(query, sl, survey.id).group_by(
        SurveyRequest.version_id, SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.choice
    )
    # A question is its key, kind and scale: a key whose scale changed between versions is two questions.
    buckets: dict[tuple, dict] = {}
    order = list((versions.get(survey.current_version_id) or {}).keys())
    for version_id, key, score, choice, count in session.execute(grouped):
        asked = (versions.get(version_id) or {}).get(key)
        if asked is None:
            continue  # an answer to a question its version never asked: not a figure of this report
        ident = (key, asked["kind"], asked.get("points"))
        bucket = buckets.setdefault(ident, {"q": asked, "scores": {}, "choices": {}, "comments": 0})
        if score is not None:
            bucket["scores"][score] = bucket["scores"].get(score, 0) + count
        elif choice is not None:
            bucket["choices"][choice] = bucket["choices"].get(choice, 0) + count
        else:
            bucket["comments"] += count
    current = versions.get(survey.current_version_id) or {}
    for key, asked in current.items():  # questions in force show even with no answers yet
        buckets.setdefault((key, asked["kind"], asked.get("points")), {"q": asked, "scores": {}, "choices": {},
                                                                       "comments": 0})  # fmt: skip
    ranked = sorted(
        buckets.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else len(order), kv[0][0])
    )
    out = []
    for (key, kind, points), b in ranked:
        q = b["q"]
        out.append(
            report.figures(
                key, kind, q.get("prompt", key), points=points, options=q.get("options"), scores=b["scores"],
                choices=b["choices"], comments=b["comments"], min_answers=min_answers,
            )
        )  # fmt: skip
    return out


def _breakdown(session: Session, sl: Slice, survey: Survey, versions: dict, by: str, min_answers: int) -> list[Row]:
    current = versions.get(survey.current_version_id) or {}
    first = next(iter(current.values()), None)
    same: set[int] = set()
    if first is not None:
        same = {v for v, qs in versions.items() if (qs.get(first["key"]) or {}).get("kind") == first["kind"]
                and (qs.get(first["key"]) or {}).get("points") == first.get("points")}  # fmt: skip
    grouped = _grouped(session, sl, survey.id, by, first["key"] if first else None, same)
    labels = _labels(session, by, grouped.keys())
    rows = []
    for value, (sent, answered, still, scores) in grouped.items():
        label = NONE_LABELS.get(by, "None") if value is None else str(labels.get(value, value))
        row = Row(value, label, sent, answered, still, report.response_rate(sent, answered), sent >= min_answers)
        if first is not None:
            row.figures = report.figures(
                first["key"], first["kind"], first.get("prompt", ""), points=first.get("points"),
                scores=scores, min_answers=min_answers,
            )  # fmt: skip
        rows.append(row)
    if by in ORDERED:
        order = ORDERED[by]
        return sorted(rows, key=lambda r: order.index(r.label) if r.label in order else len(order))
    return sorted(rows, key=lambda r: (-r.sent, r.label.lower()))


def survey_report(session: Session, actor: Actor, sl: Slice) -> SurveyReport:
    """The report of one survey over a slice (supervisors)."""
    authorize(actor, "supervisor.console")
    sl = checked(sl)
    survey = _survey(session, sl.survey_id)
    min_answers = get_settings().survey_report_min_answers
    surveys = [(r.id, r.name) for r in session.execute(select(Survey.id, Survey.name).order_by(Survey.name))]
    if survey is None:
        return SurveyReport(sl, None, surveys, min_answers, Row(None, "All"))
    sl = replace(sl, survey_id=survey.id)
    versions = _versions(session, survey)
    by_channel = _breakdown(session, sl, survey, versions, "channel", min_answers)
    sent, answered = sum(r.sent for r in by_channel), sum(r.answered for r in by_channel)
    totals = Row(None, "All", sent, answered, sum(r.open for r in by_channel), report.response_rate(sent, answered))
    totals.enough = sent >= min_answers
    return SurveyReport(
        sl, survey, surveys, min_answers, totals,
        questions=_distribution(session, sl, survey, versions, min_answers),
        by_channel=by_channel,
        by_segment=_breakdown(session, sl, survey, versions, "segment", min_answers),
        compare=_breakdown(session, sl, survey, versions, sl.by, min_answers),
    )  # fmt: skip


def choices(session: Session) -> dict[str, list[tuple[int, str]]]:
    """The slice form's options: agents, teams and categories by name."""
    return {
        "agents": [tuple(r) for r in session.execute(select(Agent.id, Agent.name).order_by(Agent.name))],
        "teams": [tuple(r) for r in session.execute(select(Team.id, Team.name).order_by(Team.name))],
        "categories": [tuple(r) for r in session.execute(select(Category.id, Category.name).order_by(Category.name))],
    }
