"""Surveys in the chat widget: sent as a message in the chat, its first question answered with one tap through the
visitor's token (only their own survey, on its scale, within the per-client budget); the rest on the survey page."""

from __future__ import annotations

from sqlalchemy import select

from rapport.conversations import service as conversations
from rapport.models import Conversation, Message, SurveyAnswer, SurveyRequest
from rapport.models.enums import Status
from rapport.surveys.send import send as send_now
from tests.channels.chat.conftest import KEY, chat_inbox, new_visitor
from tests.surveys.conftest import agent_actor, events_named, make_survey, requests_of

assert chat_inbox  # the fixture, used by name


def chat_solved(db, world, client, frozen_clock, *, text="My order is late") -> tuple[dict, int, int]:
    """A visitor's chat answered by a person and solved, its chat survey sent: (headers, conversation, request)."""
    me = new_visitor(client)
    r = client.post(f"/chat/api/{KEY}/messages", json={"text": text}, headers=me)
    assert r.status_code == 201, r.text
    conv = r.json()["conversation_id"]
    with db.write() as s:
        conversations.reply(s, agent_actor(world), conv, text="It ships today.", status=Status.solved)
    (req,) = requests_of(db, conv)
    assert req.channel == "chat"
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "sent", s.get(SurveyRequest, req.id).reason
    return me, conv, req.id


def test_a_chat_survey_is_a_message_and_one_tap_answers_it(db, world, client, chat_inbox, frozen_clock):
    make_survey(db, channels=["chat"])
    me, conv, req = chat_solved(db, world, client, frozen_clock)
    with db.read() as s:
        last = s.scalar(select(Message).where(Message.conversation_id == conv).order_by(Message.id.desc()).limit(1))
        assert last.direction == "outbound" and "Choose an answer below" in last.body_text
        assert s.get(Conversation, conv).status == "solved"  # the survey's message leaves it solved
    got = client.get(f"/chat/api/{KEY}/survey", headers=me).json()["survey"]
    assert got["request_id"] == req and got["kind"] == "csat" and got["answered"] is None
    assert [p["value"] for p in got["points"]] == [1, 2, 3, 4, 5] and got["points"][4]["label"] == "Very good"

    r = client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 5}, headers=me)
    assert r.status_code == 200, r.text
    page = r.json()["page"]
    assert f"/survey/{req}/rsv_" in page
    assert client.get(f"/chat/api/{KEY}/survey", headers=me).json()["survey"]["answered"] == 5
    # A re-answer updates the same row; the page's fresh link opens the rest of the questions.
    assert client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 4}, headers=me).status_code == 200
    with db.read() as s:
        answers = list(s.scalars(select(SurveyAnswer).where(SurveyAnswer.request_id == req)))
        assert [(a.question, a.score) for a in answers] == [("csat", 4)]
        assert s.get(SurveyRequest, req).state == "answered"
    fresh = client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 4}, headers=me).json()["page"]
    assert client.get(fresh.split("127.0.0.1:8000", 1)[-1]).status_code == 200
    assert [e.payload["first"] for e in events_named(db, "survey.answered")] == [True, False, False]


def test_only_the_visitors_own_survey_on_its_scale(db, world, client, chat_inbox, frozen_clock):
    make_survey(db, channels=["chat"])
    me, conv, req = chat_solved(db, world, client, frozen_clock)
    stranger = new_visitor(client)
    client.post(f"/chat/api/{KEY}/messages", json={"text": "Hello"}, headers=stranger)
    assert client.get(f"/chat/api/{KEY}/survey", headers=stranger).json()["survey"] is None
    r = client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 5}, headers=stranger)
    assert r.status_code == 404
    assert client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 5}).status_code == 401
    assert client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 9}, headers=me).status_code == 422
    assert client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 11}, headers=me).status_code == 422
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.id)) is None


def test_no_survey_in_chat_unless_the_rules_list_chat(db, world, client, chat_inbox):
    make_survey(db)  # email only
    me = new_visitor(client)
    conv = client.post(f"/chat/api/{KEY}/messages", json={"text": "Hi"}, headers=me).json()["conversation_id"]
    with db.write() as s:
        conversations.reply(s, agent_actor(world), conv, text="Done.", status=Status.solved)
    assert requests_of(db, conv) == []
    assert client.get(f"/chat/api/{KEY}/survey", headers=me).json() == {"survey": None}


def test_a_withdrawn_or_expired_chat_survey_is_not_offered(db, world, client, chat_inbox, frozen_clock):
    make_survey(db, channels=["chat"], expiry_days=1)
    me, conv, req = chat_solved(db, world, client, frozen_clock)
    from datetime import timedelta

    frozen_clock[0] += timedelta(days=1, seconds=1)
    assert client.get(f"/chat/api/{KEY}/survey", headers=me).json()["survey"] is None
    r = client.post(f"/chat/api/{KEY}/survey", json={"request_id": req, "score": 5}, headers=me)
    assert r.status_code == 404
