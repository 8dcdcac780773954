"""Surveys by SMS: sent as a message in the conversation's channel, a bare number in reply records the answer and
leaves the conversation solved; anything else (words, a number off the scale) is an ordinary message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.config import Settings, use_settings
from rapport.conversations import service as conversations
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, Message, SurveyAnswer
from rapport.models.enums import Status
from rapport.surveys.answers import numeric_reply
from rapport.surveys.send import send as send_now
from tests.channels.twilio.conftest import ACCOUNT, CALLER, PUBLIC, SMS_NUMBER, TOKEN, post
from tests.surveys.conftest import agent_actor, events_named, make_survey, requests_of


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Twilio signs the public URL: the app's base URL is that, not the test client's host."""
    return use_settings(Settings(data_dir=tmp_path / "data", secret_key="test-secret", base_url=PUBLIC + "/"))


@pytest.fixture
def sms_inbox(db, world):
    """An SMS inbox (its API is never called here: the survey's delivery is the SMS channel's, tested there)."""
    config = {"account_sid": ACCOUNT, "auth_token": TOKEN, "phone_number": SMS_NUMBER,
              "api_base": "http://127.0.0.1:18799", "allow_private": True}  # fmt: skip
    with db.write() as s:
        return inboxes.create(s, SYSTEM, name="SMS", channel="sms", address=SMS_NUMBER, settings=config)


def sms(client, inbox_id: int, body: str, sid: str):
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": CALLER, "To": SMS_NUMBER,
              "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}  # fmt: skip
    r = post(client, f"/channels/twilio/sms/{inbox_id}/inbound", params)
    assert r.status_code == 200, r.text


def solved_by_sms(db, world, client, inbox, frozen_clock) -> int:
    sms(client, inbox.id, "Where is my order?", "SM" + "01" * 16)
    with db.read() as s:
        conv = s.scalar(select(Conversation.id))
    with db.write() as s:
        conversations.reply(s, agent_actor(world), conv, text="It ships today.", status=Status.solved)
    (req,) = requests_of(db, conv)
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "sent", s.get(type(req), req.id).reason
    return conv


def status_of(db, conv: int) -> str:
    with db.read() as s:
        return s.get(Conversation, conv).status


def test_the_survey_goes_by_sms_and_a_number_answers_it(db, world, client, sms_inbox, frozen_clock):
    make_survey(db, channels=["sms"])
    conv = solved_by_sms(db, world, client, sms_inbox, frozen_clock)
    with db.read() as s:
        last = s.scalars(select(Message).where(Message.conversation_id == conv).order_by(Message.id.desc())).first()
    assert last.direction == "outbound" and last.channel == "sms" and last.author_kind == "system"
    assert "Reply with a number from 1 (Very poor) to 5 (Very good)" in last.body_text
    assert f"{PUBLIC}/survey/" in last.body_text
    assert status_of(db, conv) == "solved"

    sms(client, sms_inbox.id, " 4. ", "SM" + "02" * 16)
    with db.read() as s:
        assert [(a.question, a.score) for a in s.scalars(select(SurveyAnswer))] == [("csat", 4)]
        inbound = s.scalars(select(Message.body_text).where(Message.direction == "inbound")).all()
    assert inbound == ["Where is my order?"]  # the answer is not a message
    assert status_of(db, conv) == "solved" and requests_of(db, conv)[0].state == "answered"
    assert events_named(db, "survey.answered")[-1].payload["scores"] == {"csat": 4}


def test_words_or_an_off_scale_number_are_ordinary_messages(db, world, client, sms_inbox, frozen_clock):
    make_survey(db, channels=["sms"])
    conv = solved_by_sms(db, world, client, sms_inbox, frozen_clock)
    sms(client, sms_inbox.id, "7", "SM" + "03" * 16)  # not on a five-point scale
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.id)) is None
        texts = s.scalars(select(Message.body_text).where(Message.direction == "inbound").order_by(Message.id))
        assert list(texts) == ["Where is my order?", "7"]
    # An ordinary message goes where the channel threads it (an SMS after solving starts a new conversation);
    # the survey stays open, and a number on the scale still answers it.
    assert requests_of(db, conv)[0].state == "sent"
    sms(client, sms_inbox.id, "Thanks so much", "SM" + "05" * 16)
    sms(client, sms_inbox.id, "5", "SM" + "06" * 16)
    with db.read() as s:
        assert [(a.question, a.score) for a in s.scalars(select(SurveyAnswer))] == [("csat", 5)]
        texts = s.scalars(select(Message.body_text).where(Message.direction == "inbound").order_by(Message.id))
        assert list(texts) == ["Where is my order?", "7", "Thanks so much"]


def test_a_number_without_an_open_survey_is_an_ordinary_message(db, world, client, sms_inbox, frozen_clock):
    sms(client, sms_inbox.id, "5", "SM" + "04" * 16)
    with db.read() as s:
        assert s.scalars(select(Message.body_text)).all() == ["5"]


def test_what_counts_as_a_number():
    assert [numeric_reply(t) for t in ("4", " 10 ", "3.", "5!")] == [4, 10, 3, 5]
    assert [numeric_reply(t) for t in ("4 stars", "four", "", None, "100", "-1", "4/5")] == [None] * 7


def test_whatsapp_a_number_answers_and_words_are_messages(db, world, client, frozen_clock):
    from tests.channels.whatsapp.conftest import APP_SECRET, VERIFY_TOKEN, post_signed, text_message
    from tests.channels.whatsapp.fake_graph import PHONE_NUMBER_ID, TOKEN, VERSION

    config = {"phone_number_id": PHONE_NUMBER_ID, "access_token": TOKEN, "app_secret": APP_SECRET,
              "verify_token": VERIFY_TOKEN, "graph_version": VERSION, "api_base": "http://127.0.0.1:18799",
              "allow_private": True}  # fmt: skip
    with db.write() as s:
        inboxes.create(s, SYSTEM, name="WhatsApp", channel="whatsapp", address="+15550001111", settings=config)
    make_survey(db, channels=["whatsapp"])
    r = post_signed(client, text_message("wamid.1", "My parcel is lost"))
    assert r.status_code == 200, r.text
    with db.read() as s:
        conv = s.scalar(select(Conversation.id))
    with db.write() as s:
        conversations.reply(s, agent_actor(world), conv, text="Found it, on its way.", status=Status.solved)
    (req,) = requests_of(db, conv)
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "sent"
    # One webhook with two messages: the number answers, the words are a message.
    batch = text_message("wamid.2", "5")
    words = text_message("wamid.3", "Thank you!")["entry"][0]["changes"][0]["value"]["messages"]
    batch["entry"][0]["changes"][0]["value"]["messages"] += words
    r = post_signed(client, batch)
    assert r.status_code == 200 and r.json() == {"received": 2}
    with db.read() as s:
        assert [(a.question, a.score) for a in s.scalars(select(SurveyAnswer))] == [("csat", 5)]
        texts = s.scalars(select(Message.body_text).where(Message.direction == "inbound").order_by(Message.id))
        assert list(texts) == ["My parcel is lost", "Thank you!"]
