"""REST route of the survey report: the same figures as the page, as JSON, for dashboards and integrations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from rapport.kit.schema import Id
from rapport.models.enums import Channel
from rapport.surveys import reporting
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["surveys"])
# A calendar date as written (YYYY-MM-DD): a bare number is not a date here, though pydantic would read it as one.
Day = Annotated[str, Field(min_length=10, max_length=10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EstimateOut(_Out):
    """A figure and its 95 % interval (shares 0–1, NPS −1…1, means on the question's scale)."""

    value: float
    low: float | None
    high: float | None


class MeasureOut(_Out):
    """One named figure: a share, an NPS or a mean, over `count` answers."""

    name: str
    kind: str
    count: int
    estimate: EstimateOut | None


class BarOut(_Out):
    """One point of a distribution."""

    value: int | str
    label: str
    count: int
    share: float | None


class FiguresOut(_Out):
    """A question's distribution and figures; `enough` is false below RAPPORT_SURVEY_REPORT_MIN_ANSWERS answers."""

    key: str
    kind: str
    prompt: str
    points: int | None
    answers: int
    enough: bool
    distribution: list[BarOut]
    measures: list[MeasureOut]


class RowOut(_Out):
    """One group of a breakdown: surveys sent, answered, still open, the response rate, the first question."""

    value: str | int | None
    label: str
    sent: int
    answered: int
    unanswered: int
    open: int
    rate: EstimateOut | None
    enough: bool
    figures: FiguresOut | None


class SliceOut(_Out):
    """The slice the report read."""

    survey_id: int | None
    since: date
    until: date
    agent_id: int | None
    team_id: int | None
    channel: str | None
    category_id: int | None
    by: str


class SurveyReportOut(BaseModel):
    """The survey report of a slice."""

    slice: SliceOut
    survey_id: int | None
    survey_name: str | None
    min_answers: int
    totals: RowOut
    questions: list[FiguresOut]
    by_channel: list[RowOut]
    by_segment: list[RowOut]
    compare: list[RowOut]


@router.get("/reports/surveys", dependencies=[requires("read")], response_model=SurveyReportOut)
def get_survey_report(
    session: DB,
    actor: Me,
    survey: Id | None = None,
    since: Day | None = Query(None, alias="from"),
    until: Day | None = Query(None, alias="to"),
    agent: Id | None = None,
    team: Id | None = None,
    channel: Channel | None = None,
    category: Id | None = None,
    by: Literal["agent", "team", "category", "wait", "reopened"] = "agent",
):  # fmt: skip
    """Each question's distribution and figures with 95 % intervals, response rates by channel and segment, and a
    comparison by agent, team, category, first reply wait or reopening, for surveys sent in the period (supervisors)."""
    sl = reporting.Slice(
        survey_id=survey, since=reporting.day(since, "from"), until=reporting.day(until, "to"), agent_id=agent,
        team_id=team,
        channel=channel.value if channel else None, category_id=category, by=by,
    )  # fmt: skip
    got = reporting.survey_report(session, actor, sl)
    return SurveyReportOut(
        slice=SliceOut.model_validate(got.slice), survey_id=got.survey.id if got.survey else None,
        survey_name=got.survey.name if got.survey else None, min_answers=got.min_answers,
        totals=RowOut.model_validate(got.totals), questions=[FiguresOut.model_validate(q) for q in got.questions],
        by_channel=[RowOut.model_validate(r) for r in got.by_channel],
        by_segment=[RowOut.model_validate(r) for r in got.by_segment],
        compare=[RowOut.model_validate(r) for r in got.compare],
    )  # fmt: skip
