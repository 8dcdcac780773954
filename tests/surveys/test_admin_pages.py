"""The admin pages: the list, a new survey from the form (no JSON typed), an edit making a new version, errors
shown by their field with nothing saved, and agents kept out."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import Survey, SurveyVersion
from tests.surveys.conftest import make_survey

FORM = {
    "name": "After solving", "active": "yes",
    "q0_kind": "csat", "q0_prompt": "", "q0_points": "3",
    "q1_kind": "expectations", "q1_prompt": "Did we meet your expectations?",
    "q2_kind": "reason", "q2_options": "Speed\nKnowledge\n\nKindness",
    "q3_kind": "",
    "delay_minutes": "45", "calendar_id": "", "require_person_reply": "yes", "min_messages": "2",
    "cooldown_days": "14", "sample_percent": "50", "expiry_days": "5", "channels": ["email", "sms"],
}  # fmt: skip


def versions(db) -> list[SurveyVersion]:
    with db.read() as s:
        rows = list(s.scalars(select(SurveyVersion).order_by(SurveyVersion.id)))
        s.expunge_all()
        return rows


def test_an_admin_adds_a_survey_from_the_form(db, client, admin_csrf):
    page = client.get("/admin/surveys/new")
    assert page.status_code == 200 and 'name="q0_kind"' in page.text and "Minutes after solving" in page.text
    r = client.post("/admin/surveys/new", data={"csrf_token": admin_csrf, **FORM}, follow_redirects=False)
    assert r.status_code == 303, r.text
    (v,) = versions(db)
    assert [q["key"] for q in v.questions] == ["csat", "expectations", "reason"]
    assert v.questions[0]["points"] == 3 and v.questions[0]["prompt"].startswith("How would you rate")
    assert v.questions[2]["options"] == ["Speed", "Knowledge", "Kindness"]
    assert v.rules["delay_minutes"] == 45 and v.rules["sample_percent"] == 50 and v.rules["require_person_reply"]
    assert v.rules["channels"] == ["email", "sms"]
    listed = client.get("/admin/surveys")
    assert "After solving" in listed.text and "csat, expectations, reason" in listed.text


def test_saving_new_rules_makes_a_version_and_unchanged_makes_none(db, client, admin_csrf):
    survey_id = make_survey(db)
    page = client.get(f"/admin/surveys/{survey_id}")
    assert page.status_code == 200 and 'value="10"' in page.text  # the delay in minutes
    r = client.post(f"/admin/surveys/{survey_id}", data={"csrf_token": admin_csrf, **FORM}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/admin/surveys/{survey_id}", data={"csrf_token": admin_csrf, **FORM}, follow_redirects=False)
    assert [v.number for v in versions(db)] == [1, 2]


def test_a_wrong_value_is_shown_by_its_field_and_nothing_is_saved(db, client, admin_csrf):
    for field, value, words in [
        ("sample_percent", "150", "Use 100 or less."),
        ("q0_kind", "text", "first question must be answered on a scale"),
        ("q2_options", "", "needs reasons"),
        ("name", "", "needs a name"),
        ("delay_minutes", "soon", "integer"),
        ("channels", [], "at least 1 item"),
    ]:
        r = client.post("/admin/surveys/new", data={"csrf_token": admin_csrf, **FORM, field: value})
        assert r.status_code == 422, (field, r.text)
        assert words in r.text and 'aria-invalid="true"' in r.text, (field, words)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Survey)) == 0


def test_agents_cannot_open_or_post_the_admin_pages(db, client, signed_in):
    assert client.get("/admin/surveys").status_code == 403
    r = client.post("/admin/surveys/new", data={"csrf_token": signed_in, **FORM}, follow_redirects=False)
    assert r.status_code == 403
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Survey)) == 0
