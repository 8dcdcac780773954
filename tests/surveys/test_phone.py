"""Surveys by the IVR keypad: when a call a person answered ends bridged (the agent hung up, the caller is still on
the line), the first question is spoken with a <Gather> of digits whose action is the signed survey-key webhook;
a digit on the scale is recorded, anything else is not; no survey applies without `phone` in the rules."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import Conversation, SurveyAnswer, SurveyRequest
from rapport.surveys.phone import words
from rapport.surveys.schemas import Question
from tests.channels.twilio.conftest import CALLER, fake_twilio, phone_inbox, settings
from tests.channels.twilio.test_calls import queue_call
from tests.channels.twilio.voice_helpers import said, voice
from tests.surveys.conftest import QUESTIONS, events_named, make_survey

assert fake_twilio and phone_inbox and settings  # fixtures, used by name
NPS = [Question(key="nps", kind="nps", prompt="How likely are you to recommend us?")]


def bridged(client, inbox_id: int, frozen_clock):
    """A call queued, answered by a person, and the person hung up: the TwiML the caller then hears."""
    queue_call(client, inbox_id, frozen_clock)
    voice(client, inbox_id, "answered", QueueTime="10", QueueSid="QU1", DequeingCallSid="CA2")
    return voice(client, inbox_id, "queue-result", QueueResult="bridged", QueueTime="10", QueueSid="QU1")


def the_request(db) -> SurveyRequest:
    with db.read() as s:
        row = s.scalar(select(SurveyRequest))
        s.expunge_all()
        return row


def test_after_the_call_the_keypad_answers_the_survey(client, db, phone_inbox, frozen_clock):
    make_survey(db, channels=["phone"])
    root = bridged(client, phone_inbox.id, frozen_clock)
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
    req = the_request(db)
    assert req.state == "sent" and req.channel == "phone" and req.target == CALLER
    assert gather.get("action") == (
        f"https://support.example.com/channels/twilio/voice/{phone_inbox.id}/survey-key?req={req.id}"
    )
    assert "How would you rate the support you received?" in said(root) and "For Very good, press 5." in said(root)
    answer = voice(client, phone_inbox.id, "survey-key", f"?req={req.id}", Digits="4", FinishedOnKey="")
    assert "Thank you for your answer" in said(answer) and answer.find("Hangup") is not None
    with db.read() as s:
        assert [(a.question, a.score) for a in s.scalars(select(SurveyAnswer))] == [("csat", 4)]
        assert s.get(SurveyRequest, req.id).state == "answered"
        assert s.get(Conversation, req.conversation_id).status != "solved"  # the call's survey changes no status
    assert [e.name for e in events_named(db, "survey.")] == ["survey.created", "survey.sent", "survey.answered"]


def test_a_key_off_the_scale_records_nothing(client, db, phone_inbox, frozen_clock):
    make_survey(db, channels=["phone"])
    bridged(client, phone_inbox.id, frozen_clock)
    req = the_request(db)
    for digits in ("9", "0", "*", "", "12"):
        root = voice(client, phone_inbox.id, "survey-key", f"?req={req.id}", Digits=digits)
        assert "Thank you for calling" in said(root)
    # Another request's id (not this call's conversation) records nothing either.
    root = voice(client, phone_inbox.id, "survey-key", f"?req={req.id + 1}", Digits="5")
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.id)) is None


def test_nps_takes_two_digits_and_the_hash_key(client, db, phone_inbox, frozen_clock):
    make_survey(db, channels=["phone"], questions=[*NPS, *QUESTIONS[3:]])
    root = bridged(client, phone_inbox.id, frozen_clock)
    gather = root.find("Gather")
    assert gather.get("numDigits") == "2" and gather.get("finishOnKey") == "#"
    assert "from 0 to 10, then press the hash key" in said(root)
    req = the_request(db)
    voice(client, phone_inbox.id, "survey-key", f"?req={req.id}", Digits="10", FinishedOnKey="")
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.score)) == 10


def test_no_phone_survey_unless_the_rules_list_phone(client, db, phone_inbox, frozen_clock):
    make_survey(db)  # email only
    root = bridged(client, phone_inbox.id, frozen_clock)
    assert root.find("Gather") is None and the_request(db) is None


def test_the_spoken_words_name_each_key():
    assert words(QUESTIONS[1].model_dump())[0].endswith("For Exceeded my expectations, press 3.")
    assert words({"kind": "choose_again", "prompt": "Again?"}) == ("Again? For No, press 0. For Yes, press 1.", 1)
