"""The survey report's page, its CSV export and its API route: the same slice, supervisors only."""

from __future__ import annotations

import csv
import io

from tests.conftest import World, sign_in_as
from tests.surveys.test_report import seed


def test_the_page_shows_the_distribution_intervals_and_non_response(client, db, world, frozen_clock, settings):
    settings.survey_report_min_answers = 3
    seed(db, world)
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    assert client.get("/reports/surveys").status_code == 403
    client.cookies.clear()
    sign_in_as(client, "ada@example.com", "correct horse battery")
    page = client.get("/reports/surveys")
    assert page.status_code == 200, page.text
    text = page.text
    assert (
        "9 surveys sent from 2026-10-04 to 2026-11-02: 6 answered" in text and "3 not answered (1 still open)" in text
    )
    assert "<caption>Every answer given</caption>" in text and 'scope="col">Count</th>' in text
    assert "Top-2-box (4–5)" in text and "50 %" in text and "too few answers" in text  # reasons: 2 answers
    assert "Alex Agent" in text and "Enterprise" in text and "No segment" in text
    assert 'href="/reports/surveys/export.csv?survey=' in text and "by=agent" in text
    sms = client.get("/reports/surveys?channel=sms&by=team")
    assert sms.status_code == 200 and "3 surveys sent" in sms.text and "By team" in sms.text
    assert client.get("/reports/surveys?from=yesterday").status_code == 422
    assert client.get("/reports/surveys?by=mood").status_code == 422


def test_the_csv_has_the_same_figures(client, db, world, frozen_clock, settings):
    settings.survey_report_min_answers = 3
    seed(db, world)
    sign_in_as(client, "ada@example.com", "correct horse battery")
    r = client.get("/reports/surveys/export.csv?channel=email")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="survey-report-2026-10-04-2026-11-02.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    (rate,) = [x for x in rows if x["section"] == "all" and x["item"] == "response rate"]
    assert (rate["count"], rate["of"], rate["value"]) == ("4", "6", "66.67")
    (top,) = [x for x in rows if x["section"] == "figure" and x["item"] == "Top-2-box (4–5)"]
    assert (top["question"], top["count"], top["of"], top["value"]) == ("csat (5 points)", "3", "4", "75.0")
    assert float(top["low"]) < 75 < float(top["high"])
    points = [
        (x["item"], x["count"]) for x in rows if x["section"] == "distribution" and x["question"].startswith("csat")
    ]
    assert points == [("Very poor", "0"), ("Poor", "1"), ("Okay", "0"), ("Good", "1"), ("Very good", "2")]


def test_the_api_route_gives_the_report_to_a_read_token(client, db, world, frozen_clock, settings):
    settings.survey_report_min_answers = 3
    seed(db, world)
    r = client.get("/api/v1/reports/surveys?channel=sms", headers=World.auth(world.admin_token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["totals"]["sent"], body["totals"]["answered"], body["totals"]["open"]) == (3, 2, 1)
    assert body["slice"]["since"] == "2026-10-04" and body["questions"][0]["key"] == "csat"
    assert [b["count"] for b in body["questions"][0]["distribution"]] == [1, 0, 1, 0, 0]
    assert client.get("/api/v1/reports/surveys?by=mood", headers=World.auth(world.admin_token)).status_code == 422
    agent = client.get("/api/v1/reports/surveys", headers=World.auth(world.agent_token))
    assert agent.status_code == 403  # an agent's token reads conversations, not the team's scores
