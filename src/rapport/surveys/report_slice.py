"""The survey report's slice: which survey, period, agent, team, channel or category it reads, and the dimension
it compares by; parsed from query parameters as text (the page, the CSV) and bounded in length of period
(RAPPORT_SURVEY_REPORT_MAX_DAYS)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.models.enums import Channel

COMPARE = ("agent", "team", "category", "wait", "reopened")  # the page's "compare by" (channel, segment: always)
DEFAULT_DAYS = 30
FIRST_YEAR, LAST_YEAR = 1970, 9998  # the period's arithmetic (a day after `to`) stays within Python's dates


@dataclass(frozen=True)
class Slice:
    """Which answers a report reads: one survey, sent from `since` to `until` (whole UTC days), optionally one
    agent, team, channel or category; `by` is the dimension of the comparison table."""

    survey_id: int | None = None
    since: date | None = None
    until: date | None = None
    agent_id: int | None = None
    team_id: int | None = None
    channel: str | None = None
    category_id: int | None = None
    by: str = "agent"

    def query(self) -> dict[str, str]:
        """The slice as the page's query parameters (for the CSV link and the API)."""
        values = {
            "survey": self.survey_id, "from": self.since, "to": self.until, "agent": self.agent_id,
            "team": self.team_id, "channel": self.channel, "category": self.category_id, "by": self.by,
        }  # fmt: skip
        return {k: str(v) for k, v in values.items() if v is not None}


def _id(params, name: str) -> int | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise Invalid(f"{name} is an id (a whole number).", errors=[{"field": name, "message": "not an id"}])
    return int(text)


def _date(params, name: str) -> date | None:
    return day(params.get(name), name)


def day(text: str | None, name: str) -> date | None:
    """A date written YYYY-MM-DD (None when empty), or Invalid naming the field."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) > 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{name} is a date like 2026-11-30.", errors=[{"field": name, "message": "not a date"}]) from None


def parse(params) -> Slice:
    """A slice from query parameters as text (the page and its CSV), or Invalid naming the field."""
    channel = (params.get("channel") or "").strip() or None
    by = (params.get("by") or "agent").strip()
    return checked(
        Slice(
            survey_id=_id(params, "survey"), since=_date(params, "from"), until=_date(params, "to"),
            agent_id=_id(params, "agent"), team_id=_id(params, "team"), channel=channel,
            category_id=_id(params, "category"), by=by,
        )
    )  # fmt: skip


def checked(sl: Slice) -> Slice:
    """The slice with its period filled in (the last 30 days by default), or Invalid naming what is wrong."""
    if sl.channel is not None and sl.channel not in {c.value for c in Channel}:
        message = f"channel is one of {', '.join(c.value for c in Channel)}."
        raise Invalid(message, errors=[{"field": "channel", "message": message}])
    if sl.by not in COMPARE:
        message = f"Compare by one of {', '.join(COMPARE)}."
        raise Invalid(message, errors=[{"field": "by", "message": message}])
    for name, day in (("from", sl.since), ("to", sl.until)):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            message = f"{name} is a date from {FIRST_YEAR} to {LAST_YEAR}."
            raise Invalid(message, errors=[{"field": name, "message": message}])
    today = now().date()
    until = sl.until or today
    since = sl.since or until - timedelta(days=DEFAULT_DAYS - 1)
    longest = get_settings().survey_report_max_days
    if since > until:
        raise Invalid("The period starts after it ends.", errors=[{"field": "from", "message": "after 'to'"}])
    if (until - since).days + 1 > longest:
        message = f"A report covers at most {longest} days (RAPPORT_SURVEY_REPORT_MAX_DAYS)."
        raise Invalid(message, errors=[{"field": "from", "message": message}])
    return replace(sl, since=since, until=until)
