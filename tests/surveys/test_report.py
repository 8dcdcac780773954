"""The survey report over the database: counts grouped in SQL, the slices, non-response, and the threshold."""

from __future__ import annotations

from datetime import date

import pytest

from rapport.kernel.permissions import Actor, Role
from rapport.kit.problems import Forbidden, Invalid, NotFound
from rapport.surveys import reporting
from rapport.surveys.reporting import Slice
from tests.surveys.report_data import Sent, lay_down


def supervisor(world) -> Actor:
    """Sam Super acting."""
    return Actor(kind="agent", id=world.supervisor.id, role=Role.supervisor, name="Sam Super")


def seed(db, world) -> int:
    alex, bo = world.agent.id, world.agent2.id
    return lay_down(
        db, world,
        [
            Sent(
                csat=5, expectations=3, reason="Speed", comment="Great", segment="Enterprise", assignee_id=alex,
                wait_hours=0.5,
            ),
            Sent(csat=5, expectations=2, segment="Enterprise", assignee_id=alex, wait_hours=0.99),
            Sent(csat=4, expectations=2, reason="Kindness", segment="Enterprise", assignee_id=alex, wait_hours=1),
            Sent(csat=2, expectations=1, segment="Enterprise", assignee_id=alex, days_ago=3, wait_hours=30, reopens=2),
            Sent(csat=1, expectations=1, channel="sms", assignee_id=bo),
            Sent(csat=3, channel="sms", assignee_id=bo),
            Sent(segment="Enterprise", assignee_id=alex),  # expired unanswered
            Sent(segment="Enterprise", assignee_id=alex),
            Sent(channel="sms", assignee_id=bo, state="sent"),  # still open
            Sent(state="withdrawn"),  # counted nowhere
            Sent(csat=1, assignee_id=bo, days_ago=40),  # before the period
        ],
    )  # fmt: skip


def test_the_report_counts_every_point_and_shows_non_response(db, world, frozen_clock, settings):
    settings.survey_report_min_answers = 3
    survey_id = seed(db, world)
    with db.read() as s:
        got = reporting.survey_report(s, supervisor(world), Slice())
    assert got.survey.id == survey_id and (got.slice.since, got.slice.until) == (date(2026, 10, 4), date(2026, 11, 2))
    assert (got.totals.sent, got.totals.answered, got.totals.open, got.totals.unanswered) == (9, 6, 1, 3)
    assert got.totals.rate.value == pytest.approx(6 / 9)
    csat, expectations, reason, comment = got.questions
    assert [(b.value, b.count) for b in csat.distribution] == [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2)]
    assert csat.measures[0].count == 3 and csat.measures[0].estimate.value == 0.5 and csat.enough
    assert [(m.name, m.count) for m in expectations.measures] == [
        ("Met or exceeded", 3), ("Failed", 2), ("Met", 2), ("Exceeded", 1),
    ]  # fmt: skip
    assert [(b.value, b.count) for b in reason.distribution] == [("Speed", 1), ("Knowledge", 0), ("Kindness", 1)]
    assert not reason.enough  # 2 answers, under the threshold of 3
    assert (comment.kind, comment.answers) == ("text", 1)
    channels = {r.label: (r.sent, r.answered, r.open, r.figures.answers) for r in got.by_channel}
    assert channels == {"email": (6, 4, 0, 4), "sms": (3, 2, 1, 2)}
    segments = {r.label: (r.sent, r.answered) for r in got.by_segment}
    assert segments == {"Enterprise": (6, 4), "No segment": (3, 2)}
    agents = {r.label: (r.sent, r.answered, r.figures.headline.count) for r in got.compare}
    assert agents == {"Alex Agent": (6, 4, 3), "Bo Agent": (3, 2, 0)}


def test_slices_narrow_the_answers(db, world, frozen_clock):
    seed(db, world)
    with db.read() as s:
        sms = reporting.survey_report(s, supervisor(world), Slice(channel="sms"))
        bo = reporting.survey_report(s, supervisor(world), Slice(agent_id=world.agent2.id, by="team"))
        recent = reporting.survey_report(s, supervisor(world), Slice(since=date(2026, 11, 1)))
        old = reporting.survey_report(s, supervisor(world), Slice(since=date(2026, 9, 1), until=date(2026, 9, 30)))
        team = reporting.survey_report(s, supervisor(world), Slice(team_id=world.team.id))
        waits = reporting.survey_report(s, supervisor(world), Slice(by="wait"))
        reopened = reporting.survey_report(s, supervisor(world), Slice(by="reopened"))
    assert (sms.totals.sent, sms.questions[0].answers) == (3, 2)
    assert (bo.totals.sent, bo.questions[0].answers) == (3, 2)
    assert [r.label for r in bo.compare] == ["Support"]  # the email inbox's team
    assert (recent.totals.sent, recent.questions[0].answers) == (8, 5)  # the one of three days ago is out
    assert (old.totals.sent, old.questions[0].answers) == (1, 1)
    assert team.totals.sent == 10 - 1  # every conversation came in through the Support team's inbox
    bands = [(r.label, r.sent, r.figures.answers) for r in waits.compare]
    assert bands == [
        ("Under 1 hour", 2, 2), ("1 to 4 hours", 1, 1), ("A day or more", 1, 1), ("No reply before solving", 5, 2),
    ]  # fmt: skip
    assert [(r.label, r.sent) for r in reopened.compare] == [("Not reopened", 8), ("Reopened", 1)]


def test_agents_may_not_read_it_and_a_bad_slice_is_named(db, world, frozen_clock, settings):
    agent = Actor(kind="agent", id=world.agent.id, role=Role.agent)
    with db.read() as s:
        with pytest.raises(Forbidden):
            reporting.survey_report(s, agent, Slice())
        with pytest.raises(NotFound):
            reporting.survey_report(s, supervisor(world), Slice(survey_id=999))
        empty = reporting.survey_report(s, supervisor(world), Slice())
    assert empty.survey is None and empty.questions == []
    for params, words in [
        ({"from": "2026-13-01"}, "from is a date"),
        ({"agent": "1 OR 1=1"}, "agent is an id"),
        ({"channel": "fax"}, "channel is one of email"),
        ({"by": "customer"}, "Compare by one of agent, team, category"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "starts after it ends"),
        ({"from": "2020-01-01"}, "RAPPORT_SURVEY_REPORT_MAX_DAYS"),
        ({"survey": "9" * 40}, "survey is an id"),
        ({"to": "9999-12-31"}, "to is a date from 1970 to 9998"),
        ({"from": "0001-01-01"}, "from is a date from 1970"),
    ]:
        with pytest.raises(Invalid, match=words):
            reporting.parse(params)
    settings.survey_report_max_days = 7
    with pytest.raises(Invalid, match="at most 7 days"):
        reporting.parse({})
