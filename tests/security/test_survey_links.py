"""Survey links: a forged, expired, reused, withdrawn or other request's link records nothing and says what to do;
answers are bounded (scale, text length, CSRF) and a flood from one address is refused, naming the setting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.conversations import service as conversations
from rapport.models import SurveyAnswer, SurveyRequest
from rapport.models.enums import Status
from rapport.surveys.send import send as send_now
from rapport.worker.runner import run_due
from tests.surveys.conftest import agent_actor, answer_form, requests_of, sent, solved


def answer_count(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(SurveyAnswer))


def state_of(db, request_id: int) -> str:
    with db.read() as s:
        return s.get(SurveyRequest, request_id).state


def post(client, request_id: int, token: str, **fields):
    # Any page of /survey sets the anonymous CSRF cookie; a refused link's page does too.
    client.get(f"/survey/{request_id}/{token}")
    csrf = client.cookies.get("rapport_survey_csrf")
    return client.post(f"/survey/{request_id}/{token}", data={"csrf_token": csrf, **fields}, follow_redirects=False)


def test_a_forged_link_is_refused_and_records_nothing(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    forged = "rsv_" + "A" * 43
    page = client.get(f"/survey/{request_id}/{forged}?score=5")
    assert page.status_code == 410 and "This link is not valid" in page.text
    assert "copy the whole address" in page.text  # what to do
    assert post(client, request_id, forged, q_csat="5").status_code == 410
    assert client.get(f"/survey/{request_id}/{token[:-3]}").status_code == 410  # a truncated copy
    assert client.get(f"/survey/{request_id}/{'x' * 500}").status_code == 410
    assert answer_count(db) == 0 and state_of(db, request_id) == "sent"


def test_another_requests_link_is_refused(db, world, frozen_clock, client):
    first_id, first_token = sent(db, world, frozen_clock)
    other_conv = solved(db, world, address="kim@customer.test")
    (other,) = requests_of(db, other_conv)
    frozen_clock[0] = other.due_at
    with db.write() as s:
        send_now(s, other.id)
    r = post(client, other.id, first_token, q_csat="1")
    assert r.status_code == 410 and "not valid" in r.text
    assert answer_count(db) == 0 and state_of(db, other.id) == "sent" and state_of(db, first_id) == "sent"


def test_a_used_link_is_refused_and_says_so(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    assert answer_form(client, request_id, token, q_csat="4").status_code == 303
    again = client.get(f"/survey/{request_id}/{token}?score=1")
    assert again.status_code == 410 and "You have answered already" in again.text
    assert "thank-you page" in again.text
    assert post(client, request_id, token, q_csat="1").status_code == 410
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.score).where(SurveyAnswer.question == "csat")) == 4


def test_an_expired_link_is_refused(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock, expiry_days=2)
    frozen_clock[0] += timedelta(days=2)
    run_due(db)  # the expiry job
    assert state_of(db, request_id) == "expired"
    page = client.get(f"/survey/{request_id}/{token}?score=5")
    assert page.status_code == 410 and "This survey has closed" in page.text and "reply to the last mail" in page.text
    assert post(client, request_id, token, q_csat="5").status_code == 410
    assert answer_count(db) == 0


def test_a_withdrawn_survey_is_refused(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    with db.read() as s:
        conv = s.get(SurveyRequest, request_id).conversation_id
    with db.write() as s:
        conversations.update(s, agent_actor(world), conv, conversations.Changes(status=Status.open))
    page = client.get(f"/survey/{request_id}/{token}")
    assert page.status_code == 410 and "This survey was withdrawn" in page.text
    assert post(client, request_id, token, q_csat="5").status_code == 410
    assert state_of(db, request_id) == "withdrawn" and answer_count(db) == 0


def test_an_out_of_range_score_is_refused(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    for bad in ("6", "0", "-1", "abc", "99999999999999999999"):
        r = answer_form(client, request_id, token, q_csat=bad)
        assert r.status_code == 422 and "aria-invalid" in r.text, bad
    r = answer_form(client, request_id, token, q_csat="3", q_reason="Not offered")
    assert r.status_code == 422 and "not one of the reasons" in r.text
    assert answer_count(db) == 0 and state_of(db, request_id) == "sent"


def test_free_text_is_stored_sanitised_and_shown_escaped(db, world, frozen_clock, client, settings):
    request_id, token = sent(db, world, frozen_clock)
    text = '<script>alert("x")</script><img src=x onerror=alert(1)>Great <b>help</b> & thanks'
    r = answer_form(client, request_id, token, q_csat="5", q_comment=text)
    assert r.status_code == 303
    with db.read() as s:
        stored = s.scalar(select(SurveyAnswer.text).where(SurveyAnswer.question == "comment"))
    assert stored == "Great help & thanks"
    page = client.get(r.headers["location"].removesuffix("/thanks"))
    assert "Great help &amp; thanks" in page.text and "<script>alert" not in page.text
    settings.survey_text_max_chars = 20
    r = answer_form(client, request_id, r.headers["location"].split("/")[3], q_csat="5", q_comment="x" * 21)
    assert r.status_code == 422 and "RAPPORT_SURVEY_TEXT_MAX_CHARS" in r.text


def test_a_flood_of_answers_from_one_address_is_limited(db, world, frozen_clock, client, settings):
    settings.survey_answers_per_client_per_hour = 2
    request_id, token = sent(db, world, frozen_clock)
    for _ in range(2):
        r = answer_form(client, request_id, token, q_csat="5")
        assert r.status_code == 303
        token = r.headers["location"].split("/")[3]
    r = answer_form(client, request_id, token, q_csat="1")
    assert r.status_code == 429 and "RAPPORT_SURVEY_ANSWERS_PER_CLIENT_PER_HOUR" in r.text
    assert int(r.headers["retry-after"]) > 0
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.score).where(SurveyAnswer.question == "csat")) == 5


def test_an_answer_without_the_form_token_is_refused(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    r = client.post(f"/survey/{request_id}/{token}", data={"q_csat": "5"}, follow_redirects=False)
    assert r.status_code == 403 and "security token" in r.text
    assert answer_count(db) == 0


def test_answers_cannot_change_after_the_window_closes(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock, expiry_days=1)
    r = answer_form(client, request_id, token, q_csat="2")
    fresh = r.headers["location"].split("/")[3]
    frozen_clock[0] += timedelta(days=1)
    run_due(db)
    assert state_of(db, request_id) == "answered"  # the answer stays
    page = client.get(f"/survey/{request_id}/{fresh}")
    assert page.status_code == 410 and "This survey has closed" in page.text
    assert post(client, request_id, fresh, q_csat="5").status_code == 410
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.score).where(SurveyAnswer.question == "csat")) == 2
