"""The customer's survey page: a mailed point preselected, one tap records it, the thanks page, re-answers update."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import SurveyAnswer
from tests.surveys.conftest import answer_form, events_named, requests_of, sent


def answers(db, request_id: int) -> dict[str, tuple]:
    with db.read() as s:
        rows = s.scalars(select(SurveyAnswer).where(SurveyAnswer.request_id == request_id))
        return {a.question: (a.score, a.choice, a.text) for a in rows}


def test_the_mailed_point_is_preselected_and_nothing_is_recorded_on_get(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    page = client.get(f"/survey/{request_id}/{token}?score=4")
    assert page.status_code == 200
    assert 'name="q_csat" value="4" checked' in page.text
    assert (
        "default-src 'none'" in page.headers["content-security-policy"]
        and "script-src" not in page.headers["content-security-policy"]
    )
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert answers(db, request_id) == {}
    assert client.get(f"/survey/{request_id}/{token}?score=99").status_code == 200  # an unknown point: none chosen


def test_one_tap_records_the_answer_and_thanks(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    r = answer_form(client, request_id, token, q_csat="4", q_expectations="3", q_reason="Speed", q_comment="Quick!")
    assert r.status_code == 303
    thanks = client.get(r.headers["location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    assert answers(db, request_id) == {
        "csat": (4, None, None), "expectations": (3, "exceeded", None), "reason": (None, "Speed", None),
        "comment": (None, None, "Quick!"),
    }  # fmt: skip
    (req,) = [r for r in requests_of(db, _conversation(db, request_id))]
    assert req.state == "answered" and req.answered_at is not None
    event = events_named(db, "survey.answered")[-1]
    assert event.payload["scores"] == {"csat": 4, "expectations": 3}
    assert event.payload["choices"] == {"expectations": "exceeded", "reason": "Speed"} and event.payload["commented"]


def test_a_re_answer_within_the_window_updates_not_duplicates(db, world, frozen_clock, client):
    request_id, token = sent(db, world, frozen_clock)
    r = answer_form(client, request_id, token, q_csat="2")
    change = r.headers["location"].removesuffix("/thanks")
    again = client.get(change)
    assert 'name="q_csat" value="2" checked' in again.text  # the saved answer shown
    fresh_token = change.rsplit("/", 1)[1]
    r = answer_form(client, request_id, fresh_token, q_csat="5", q_expectations="2")
    assert r.status_code == 303
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(SurveyAnswer)) == 2
    assert answers(db, request_id)["csat"] == (5, None, None)
    assert events_named(db, "survey.answered")[-1].payload["first"] is False


def test_nps_takes_a_reason_and_ces_its_seven_points(db, world, frozen_clock, client):
    from rapport.surveys.schemas import Question

    questions = [
        Question(key="nps", kind="nps", prompt="Recommend us?"),
        Question(key="ces", kind="ces", prompt="Easy?"),
        Question(key="again", kind="choose_again", prompt="Again?"),
    ]
    request_id, token = sent(db, world, frozen_clock, questions=questions)
    page = client.get(f"/survey/{request_id}/{token}?score=0")
    assert 'name="q_nps" value="0" checked' in page.text and page.text.count('name="q_ces"') == 7
    r = answer_form(client, request_id, token, q_nps="9", q_nps_reason="Fast help", q_ces="6", q_again="1")
    assert r.status_code == 303
    assert answers(db, request_id) == {
        "nps": (9, None, "Fast help"), "ces": (6, None, None), "again": (1, "yes", None),
    }  # fmt: skip


def _conversation(db, request_id: int) -> int:
    from rapport.models import SurveyRequest

    with db.read() as s:
        return s.get(SurveyRequest, request_id).conversation_id


def test_the_customer_can_ask_for_no_more_surveys(db, world, frozen_clock, client):
    from rapport.models import Customer
    from tests.surveys.conftest import solved

    request_id, token = sent(db, world, frozen_clock, cooldown_days=0)
    other = solved(db, world)  # another of their conversations, scheduled
    assert [r.state for r in requests_of(db, other)] == ["scheduled"]
    page = client.get(f"/survey/{request_id}/{token}")
    assert "Send me no more surveys" in page.text
    r = client.post(f"/survey/{request_id}/{token}/opt-out", data={"csrf_token": "wrong"})
    assert r.status_code == 403
    csrf = client.cookies.get("rapport_survey_csrf")
    r = client.post(f"/survey/{request_id}/{token}/opt-out", data={"csrf_token": csrf})
    assert r.status_code == 200 and "No more surveys" in r.text
    with db.read() as s:
        (req,) = requests_of(db, other)
        assert s.get(Customer, req.customer_id).attributes["surveys_opt_out"] is True
    assert req.state == "withdrawn" and "opted out" in req.reason
    assert requests_of(db, solved(db, world)) == []
    assert events_named(db, "customer.updated")
    forged = client.post(f"/survey/{request_id}/rsv_{'B' * 43}/opt-out", data={"csrf_token": csrf})
    assert forged.status_code == 410
