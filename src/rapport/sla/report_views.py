"""The service targets' achievement report for supervisors (the numbers come from sla/report.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rapport.kit.problems import Invalid
from rapport.sla import report
from rapport.sla.forms import duration
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, render

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
PERIODS = (7, 30, 90)


def _days(text: str) -> int:
    if not text.isdigit():
        raise Invalid(f"days is a whole number from 1 to {report.MAX_DAYS}.", errors=[{"field": "days"}])
    return int(text)


@router.get("/reports/sla")
def sla_report(request: Request, session: DB, viewer: Page, days: str = "30", by: str = "policy"):
    """% met per policy, priority, channel or team and target, in business and calendar time."""
    result = report.achievement(session, viewer.actor, days=_days(days), by=by)
    return render(
        request, "sla/report.html", viewer, report=result, dimensions=report.DIMENSIONS, periods=PERIODS,
        duration=duration,
    )  # fmt: skip


@router.get("/reports/sla/breaches")
def sla_breaches(
    request: Request, session: DB, viewer: Page, target: str, days: str = "30", by: str = "policy", value: str = "",
    business: str = "1", label: str = "",
):  # fmt: skip
    """The breached clocks behind one row of the report."""
    rows = report.breaches(
        session, viewer.actor, days=_days(days), by=by, value=value, target=target, business=business == "1"
    )
    return render(
        request, "sla/breaches.html", viewer, rows=rows, days=_days(days), by=by, label=label[:200], target=target,
        business=business == "1", shown=report.BREACHES_SHOWN, duration=duration,
        target_label=report.LABELS.get(target, target),
    )  # fmt: skip
