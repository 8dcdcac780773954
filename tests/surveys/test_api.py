"""The surveys API: definitions (admins; a change of questions or rules is a new version), a conversation's requests
and answers (agents), bad input named; and the survey's events on the conversation's timeline."""

from __future__ import annotations

from tests.conftest import World
from tests.surveys.conftest import answer_form, requests_of, sent

BODY = {
    "name": "CSAT",
    "questions": [
        {"key": "csat", "kind": "csat", "prompt": "How did we do?", "points": 3},
        {"key": "why", "kind": "reason", "prompt": "Why?", "options": ["Speed", "Tone"]},
    ],
    "rules": {"delay_minutes": 30, "sample_percent": 50, "cooldown_days": 7, "expiry_days": 5},
}


def test_admins_keep_definitions_and_every_change_is_a_version(client, world):
    admin = World.auth(world.admin_token)
    r = client.post("/api/v1/surveys", json=BODY, headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["version"]["number"] == 1 and made["version"]["questions"][0]["points"] == 3
    assert made["version"]["rules"]["sample_percent"] == 50
    r = client.patch(f"/api/v1/surveys/{made['id']}", json={"rules": {**BODY["rules"], "delay_minutes": 60}},
                     headers=admin)  # fmt: skip
    assert r.status_code == 200 and r.json()["version"]["number"] == 2
    r = client.patch(f"/api/v1/surveys/{made['id']}", json={"name": "CSAT after solve", "active": False}, headers=admin)
    assert r.json()["version"]["number"] == 2 and r.json()["name"] == "CSAT after solve" and not r.json()["active"]
    listed = client.get("/api/v1/surveys", headers=World.auth(world.agent_token))
    assert [s["name"] for s in listed.json()] == ["CSAT after solve"]
    assert client.delete(f"/api/v1/surveys/{made['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/surveys/{made['id']}", headers=admin).status_code == 404


def test_agents_may_not_change_definitions(client, world):
    r = client.post("/api/v1/surveys", json=BODY, headers=World.auth(world.agent_token))
    assert r.status_code == 403


def test_bad_definitions_are_refused_by_name(client, world, settings):
    admin = World.auth(world.admin_token)

    def refused(body, *words):
        r = client.post("/api/v1/surveys", json=body, headers=admin)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
        for w in words:
            assert w in r.text, r.text

    refused({**BODY, "questions": [{"key": "csat", "kind": "csat", "prompt": "x", "points": 4}]})
    refused({**BODY, "questions": [{"key": "t", "kind": "text", "prompt": "x"}]}, "first question")
    refused({**BODY, "questions": [BODY["questions"][0], {"key": "why", "kind": "reason", "prompt": "x"}]}, "reasons")
    refused({**BODY, "questions": [BODY["questions"][0], BODY["questions"][0]]}, "own key")
    refused({**BODY, "rules": {"sample_percent": 101}})
    refused({**BODY, "rules": {"expiry_days": 90}}, "RAPPORT_SURVEY_MAX_EXPIRY_DAYS")
    refused({**BODY, "rules": {"calendar_id": 999}}, "no calendar 999")
    settings.survey_max_questions = 1
    refused(BODY, "RAPPORT_SURVEY_MAX_QUESTIONS")


def test_a_conversations_requests_and_answers(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    assert answer_form(client, request_id, token, q_csat="5", q_expectations="2").status_code == 303
    with db.read() as s:
        from rapport.models import SurveyRequest

        conv = s.get(SurveyRequest, request_id).conversation_id
    r = client.get(f"/api/v1/conversations/{conv}/surveys", headers=World.auth(world.readonly_token))
    assert r.status_code == 200, r.text
    (req,) = r.json()
    assert req["state"] == "answered" and req["channel"] == "email"
    assert {a["question"]: a["score"] for a in req["answers"]} == {"csat": 5, "expectations": 2}
    assert "token_hash" not in req and "target" not in req
    one = client.get(f"/api/v1/surveys/requests/{request_id}", headers=World.auth(world.readonly_token))
    assert one.json()["id"] == request_id
    assert client.get("/api/v1/surveys/requests/999", headers=World.auth(world.readonly_token)).status_code == 404
    assert [r.state for r in requests_of(db, conv)] == ["answered"]


def test_the_timeline_tells_the_survey(db, world, frozen_clock, client, signed_in):
    request_id, token = sent(db, world, frozen_clock)
    assert answer_form(client, request_id, token, q_csat="4", q_expectations="1").status_code == 303
    with db.read() as s:
        from rapport.models import SurveyRequest

        conv = s.get(SurveyRequest, request_id).conversation_id
    page = client.get(f"/conversations/{conv}/timeline")
    assert page.status_code == 200, page.text
    assert "Survey scheduled by email" in page.text and "Survey sent by email" in page.text
    assert "The customer answered the survey: csat 4, expectations failed" in page.text
