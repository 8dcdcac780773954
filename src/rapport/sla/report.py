"""The service targets' achievement: what the clocks of a period met and breached, grouped as a supervisor asks.

Reads `SlaClock` rows that started in the period and have an outcome (met, or breached: a clock still running past
its deadline is breached already). Each row of the report is one group (a policy, a priority, a channel or a team)
and one target, counted in business or calendar time as its clocks counted: % met, and the median and 90th
percentile of what the stopped clocks measured. Its breached clocks are one click away (`breaches`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.models import Conversation, SlaClock, SlaPolicy, SlaPolicyVersion, Team
from rapport.sla.tally import Outcomes
from rapport.sla.targets import KINDS, LABELS

MAX_DAYS = 366  # a report reads one row per clock of the period: at most a year of them
BREACHES_SHOWN = 200
BATCH = 5000  # clocks read per statement
DIMENSIONS = {"policy": "Policy", "priority": "Priority", "channel": "Channel", "team": "Team"}
OUTCOMES = ("met", "breached")


@dataclass
class Group(Outcomes):
    """One row of the report: a group's value, a target, how it counts, and its clocks' outcomes."""

    value: str | int | None
    label: str
    target: str
    business: bool
    met: int = 0
    breached: int = 0
    measured: list[int] = field(default_factory=list)

    @property
    def target_label(self) -> str:
        """The target's name as pages show it."""
        return LABELS.get(self.target, self.target)


@dataclass
class Report:
    """The achievement of a period, by one dimension."""

    days: int
    since: datetime
    until: datetime
    by: str
    groups: list[Group]


def checked(days: int, by: str) -> tuple[int, str]:
    """The period and dimension asked for, or Invalid naming the allowed ones."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise Invalid(f"Report 1 to {MAX_DAYS} days.", errors=[{"field": "days", "message": f"1 to {MAX_DAYS} days"}])
    if by not in DIMENSIONS:
        message = f"Group by one of {', '.join(DIMENSIONS)}."
        raise Invalid(message, errors=[{"field": "by", "message": message}])
    return days, by


def _rows(session: Session, since: datetime, until: datetime, extra=()):
    clock, version, conv = SlaClock, SlaPolicyVersion, Conversation
    query = (
        select(
            clock.id, clock.conversation_id, clock.target, clock.state, clock.measured_seconds,
            clock.calendar_version_id.is_not(None).label("business"), clock.due_at, version.policy_id,
            conv.priority, conv.channel, conv.team_id, conv.subject,
        )
        .join(version, version.id == clock.policy_version_id)
        .join(conv, conv.id == clock.conversation_id)
        .where(clock.started_at >= since, clock.started_at < until, clock.state.in_(OUTCOMES), *extra)
    )  # fmt: skip
    # Keyset batches by clock id, not a server-side cursor: PostgreSQL reads run in autocommit.
    after = 0
    while True:
        batch = session.execute(query.where(clock.id > after).order_by(clock.id).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].id


def _value(row, by: str):
    return {"policy": row.policy_id, "priority": row.priority, "channel": row.channel, "team": row.team_id}[by]


def _labels(session: Session, by: str) -> dict:
    if by == "policy":
        return dict(session.execute(select(SlaPolicy.id, SlaPolicy.name)).all())
    if by == "team":
        return dict(session.execute(select(Team.id, Team.name)).all())
    return {}


def achievement(session: Session, actor: Actor, *, days: int = 30, by: str = "policy") -> Report:
    """% met, median and p90 per group and target over the last `days` days."""
    authorize(actor, "supervisor.console")
    days, by = checked(days, by)
    until = now()
    since = until - timedelta(days=days)
    labels = _labels(session, by)
    groups: dict[tuple, Group] = {}
    for row in _rows(session, since, until):
        value = _value(row, by)
        key = (value, row.target, bool(row.business))
        group = groups.get(key)
        if group is None:
            label = labels.get(value, f"#{value}") if by in ("policy", "team") else str(value)
            group = groups[key] = Group(value, "No team" if value is None else label, row.target, bool(row.business))
        if row.state == "met":
            group.met += 1
        else:
            group.breached += 1
        if row.measured_seconds is not None:
            group.measured.append(row.measured_seconds)
    ordered = sorted(groups.values(), key=lambda g: (g.label.lower(), KINDS.index(g.target), not g.business))
    return Report(days, since, until, by, ordered)


@dataclass(frozen=True)
class Breached:
    """A breached clock: its conversation, target, deadline and what it measured."""

    conversation_id: int
    subject: str
    target: str
    due_at: datetime | None
    measured_seconds: int | None
    business: bool


def breaches(
    session: Session, actor: Actor, *, days: int, by: str, value: str, target: str, business: bool
) -> list[Breached]:
    """The breached clocks of one row of the report (the first BREACHES_SHOWN, oldest first)."""
    authorize(actor, "supervisor.console")
    days, by = checked(days, by)
    if target not in KINDS:
        raise Invalid(f"target is one of {', '.join(KINDS)}.", errors=[{"field": "target"}])
    until = now()
    column = {
        "policy": SlaPolicyVersion.policy_id, "priority": Conversation.priority, "channel": Conversation.channel,
        "team": Conversation.team_id,
    }[by]  # fmt: skip
    if by in ("policy", "team"):
        test = column.is_(None) if value in ("", "None") else column == (int(value) if value.isdigit() else -1)
    else:
        test = column == value
    counted = SlaClock.calendar_version_id.is_not(None) if business else SlaClock.calendar_version_id.is_(None)
    extra = (test, SlaClock.target == target, SlaClock.state == "breached", counted)
    out = []
    for row in _rows(session, until - timedelta(days=days), until, extra):
        out.append(
            Breached(row.conversation_id, row.subject, row.target, row.due_at, row.measured_seconds, row.business)
        )
        if len(out) >= BREACHES_SHOWN:
            break
    return out
