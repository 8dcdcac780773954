"""The survey report over the demo's answers renders, and tells the demo's story: customers who waited long for a
first reply score far lower, beyond the intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rapport.demo import generate
from rapport.demo.surveys import ensure_surveys
from rapport.kernel.permissions import Actor, Role
from rapport.surveys import reporting
from tests.conftest import sign_in_as

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_the_report_over_the_demo_renders_and_tells_the_story(client, db, world, frozen_clock):
    frozen_clock[0] = NOW
    generate(db, conversations=3000, customers=600, now=NOW)
    assert ensure_surveys(db) is True
    actor = Actor(kind="agent", id=world.admin.id, role=Role.admin)
    with db.read() as s:
        got = reporting.survey_report(s, actor, reporting.Slice(since=date(2026, 5, 1), by="wait"))
    csat = got.questions[0]
    assert csat.enough and [b.count > 0 for b in csat.distribution] == [True] * 5  # every point given
    bands = {r.label: r.figures.headline.estimate for r in got.compare if r.figures.enough}
    quick, slow = bands["Under 1 hour"], bands["8 to 24 hours"]
    assert quick.low > slow.high and quick.value > 0.8 > 0.2 > slow.value  # the story, beyond chance
    assert 0.2 < got.totals.rate.value < 0.45  # a third answer: the non-response is visible
    assert len(got.by_segment) >= 2 and len(got.by_channel) >= 1

    sign_in_as(client, "ada@example.com", "correct horse battery")
    page = client.get("/reports/surveys?from=2026-05-01&by=wait")
    assert page.status_code == 200, page.text
    assert "By first reply wait" in page.text and "Under 1 hour" in page.text and "Top-2-box (4–5)" in page.text
    assert client.get("/reports/surveys/export.csv?from=2026-05-01&by=wait").text.count("\r\n") > 40
