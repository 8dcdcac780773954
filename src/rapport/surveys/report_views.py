"""The survey report page for supervisors at /reports/surveys, and its CSV export with the same slice."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rapport.models.enums import Channel
from rapport.surveys import report_csv, reporting
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)


@router.get("/reports/surveys")
def survey_report(request: Request, session: DB, viewer: Page):
    """Each question's distribution and figures with intervals, response rates, and a comparison, for a slice."""
    got = reporting.survey_report(session, viewer.actor, reporting.parse(request.query_params))
    return render(
        request, "surveys/report.html", viewer, report=got, options=reporting.choices(session),
        channels=[c.value for c in Channel], compare={k: reporting.DIMENSIONS[k] for k in reporting.COMPARE},
        csv_query=got.slice.query(),
    )  # fmt: skip


@router.get("/reports/surveys/export.csv")
def survey_report_csv(request: Request, session: DB, viewer: Page):
    """The same report as CSV (one figure a line; text cells that a spreadsheet would run are defused)."""
    got = reporting.survey_report(session, viewer.actor, reporting.parse(request.query_params))
    name = f"survey-report-{got.slice.since}-{got.slice.until}.csv"
    return Response(
        report_csv.render(got), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
