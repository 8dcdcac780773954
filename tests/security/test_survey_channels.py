"""Surveys answered in place (the chat widget): only the visitor's own open survey, only with the visitor token
(a header a forging site cannot send), only on the first question's scale, and a flood from one client address is
refused naming RAPPORT_SURVEY_ANSWERS_PER_CLIENT_PER_HOUR; nothing is recorded by a refused answer."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import SurveyAnswer
from tests.channels.chat.conftest import KEY, chat_inbox, new_visitor
from tests.surveys.conftest import make_survey
from tests.surveys.test_chat import chat_solved

assert chat_inbox  # the fixture, used by name


def answers(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(SurveyAnswer))


def test_a_chat_answer_needs_the_visitors_own_token(db, world, client, chat_inbox, frozen_clock):
    make_survey(db, channels=["chat"])
    _me, _conv, req = chat_solved(db, world, client, frozen_clock)
    other = new_visitor(client)
    for headers in ({}, {"X-Rapport-Visitor": "rcv_forged"}, other):
        r = client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 5}, headers=headers)
        assert r.status_code in (401, 404), r.text
    # A cookie is never the credential: a cross-site form post carries no header and is refused.
    r = client.post(f"/chat/api/{KEY}/survey", data={"request_id": str(req), "score": "5"})
    assert r.status_code in (401, 415, 422)
    assert answers(db) == 0


def test_out_of_range_and_malformed_chat_answers_record_nothing(db, world, client, chat_inbox, frozen_clock):
    make_survey(db, channels=["chat"])
    me, _conv, req = chat_solved(db, world, client, frozen_clock)
    for body in ({"request_id": req, "score": 0}, {"request_id": req, "score": 6}, {"request_id": req, "score": -1},
                 {"request_id": req, "score": "5<script>"}, {"request_id": 0, "score": 5},
                 {"request_id": req, "score": 5, "extra": 1}):  # fmt: skip
        r = client.post(f"/chat/api/{KEY}/survey", json=body, headers=me)
        assert r.status_code in (404, 422), (body, r.text)
    assert answers(db) == 0


def test_a_flood_of_chat_answers_is_refused_naming_the_setting(db, world, client, chat_inbox, frozen_clock, settings):
    settings.survey_answers_per_client_per_hour = 2
    make_survey(db, channels=["chat"])
    me, _conv, req = chat_solved(db, world, client, frozen_clock)
    for score in (3, 4):
        assert client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": score}, headers=me).is_success
    r = client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 5}, headers=me)
    assert r.status_code == 429 and "RAPPORT_SURVEY_ANSWERS_PER_CLIENT_PER_HOUR" in r.text
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.score)) == 4
