"""Translations: a survey's questions (prompt, point labels, reasons) in the customer's profile language where the
survey has them (`pt-BR` finds `pt`), else as written; answers are stored the same whatever the language."""

from __future__ import annotations

import re

from sqlalchemy import select

from rapport.models import Conversation, Customer, Job, SurveyAnswer
from rapport.surveys import inline
from rapport.surveys.schemas import Question
from rapport.surveys.send import send as send_now
from tests.conftest import World
from tests.surveys.conftest import answer_form, make_survey, requests_of, solved

DE_LABELS = ["Sehr schlecht", "Schlecht", "Okay", "Gut", "Sehr gut"]
TRANSLATED = [
    Question(key="csat", kind="csat", prompt="How would you rate the support you received?", points=5,
             translations={"de": {"prompt": "Wie zufrieden waren Sie mit unserer Hilfe?", "labels": DE_LABELS},
                           "pt": {"prompt": "Como avalia o nosso apoio?"}}),
    Question(key="reason", kind="reason", prompt="What mattered most?", options=["Speed", "Kindness"],
             translations={"de": {"prompt": "Was war am wichtigsten?", "options": ["Tempo", "Freundlichkeit"]}}),
]  # fmt: skip


def sent_in(db, world, frozen_clock, language: str | None) -> tuple[int, str, str]:
    """A survey sent to a customer whose profile language is `language`: (request id, token, the mail's text)."""
    make_survey(db, questions=TRANSLATED)
    conv = solved(db, world)
    with db.write() as s:
        s.get(Customer, s.get(Conversation, conv).customer_id).language = language
    (req,) = requests_of(db, conv)
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "sent"
        text = s.scalar(select(Job.payload).where(Job.dedupe_key == f"survey:{req.id}"))["text"]
    return req.id, re.search(rf"/survey/{req.id}/(rsv_[A-Za-z0-9_-]+)\?score=", text).group(1), text


def test_the_customers_language_is_used_in_the_mail_and_on_the_page(db, world, client, frozen_clock):
    request_id, token, text = sent_in(db, world, frozen_clock, "de")
    assert "Wie zufrieden waren Sie mit unserer Hilfe?" in text and "Sehr gut: http" in text
    page = client.get(f"/survey/{request_id}/{token}")
    assert "Wie zufrieden waren Sie mit unserer Hilfe?" in page.text and "Sehr schlecht" in page.text
    assert "Was war am wichtigsten?" in page.text and "<span>Freundlichkeit</span>" in page.text
    assert 'value="Kindness"' in page.text  # what is stored stays the survey's own reason
    r = answer_form(client, request_id, token, q_csat="5", q_reason="Kindness")
    assert r.status_code == 303
    with db.read() as s:
        got = {a.question: (a.score, a.choice) for a in s.scalars(select(SurveyAnswer))}
    assert got == {"csat": (5, None), "reason": (None, "Kindness")}
    with db.read() as s:
        (shown,) = inline.open_for(s, customer_id=s.scalar(select(Customer.id).where(Customer.language == "de")))
    assert shown.prompt.startswith("Wie zufrieden") and shown.points[4]["label"] == "Sehr gut"


def test_a_regional_code_finds_the_language_and_an_unknown_one_the_default(db, world, client, frozen_clock):
    _, _, text = sent_in(db, world, frozen_clock, "pt-BR")
    # Portuguese has a prompt but no labels: the prompt is translated, the labels stay as written.
    assert "Como avalia o nosso apoio?" in text and "Very good: http" in text


def test_no_language_is_the_default(db, world, client, frozen_clock):
    _, _, text = sent_in(db, world, frozen_clock, "fr")
    assert "How would you rate the support you received?" in text and "Wie" not in text


def test_translations_are_checked(client, world):
    question = {"key": "csat", "kind": "csat", "prompt": "How did we do?", "points": 3,
                "translations": {"de": {"prompt": "Wie?", "labels": ["a", "b"]}}}  # fmt: skip
    body = {"name": "CSAT", "questions": [question]}
    r = client.post("/api/v1/surveys", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 422 and "3 points" in r.text
    body["questions"][0]["translations"] = {"DE<script>": {"prompt": "Wie?"}}
    assert client.post("/api/v1/surveys", json=body, headers=World.auth(world.admin_token)).status_code == 422
    body["questions"][0]["translations"] = {"de": {"prompt": "Wie?", "labels": ["Schlecht", "Okay", "Gut"]}}
    r = client.post("/api/v1/surveys", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 201, r.text
    assert r.json()["version"]["questions"][0]["translations"]["de"]["labels"] == ["Schlecht", "Okay", "Gut"]


def test_the_admin_form_takes_translations_one_language_a_line(client, world, admin_csrf, db):
    form = {"csrf_token": admin_csrf, "name": "Localised", "active": "yes", "q0_kind": "csat", "q0_points": "3",
            "q0_prompt": "How did we do?", "q0_translations": "de: Wie war es? | Schlecht; Okay; Gut\nfr: Comment?",
            "delay_minutes": "60", "min_messages": "2", "cooldown_days": "30", "sample_percent": "100",
            "expiry_days": "7", "require_person_reply": "yes", "channels": "email"}  # fmt: skip
    r = client.post("/admin/surveys/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    from rapport.models import Survey, SurveyVersion

    with db.read() as s:
        survey = s.scalar(select(Survey).where(Survey.name == "Localised"))
        stored = s.get(SurveyVersion, survey.current_version_id).questions[0]["translations"]
    assert stored == {
        "de": {"prompt": "Wie war es?", "labels": ["Schlecht", "Okay", "Gut"]},
        "fr": {"prompt": "Comment?"},
    }
    editor = client.get(f"/admin/surveys/{survey.id}")
    assert "de: Wie war es? | Schlecht; Okay; Gut" in editor.text
