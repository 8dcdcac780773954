"""The IVR survey's keypad webhook is a Twilio webhook like the others: unsigned, forged, or signed for another URL
(another request's id: the query is part of what Twilio signs) is refused 403 and records nothing; a signed one
for a request that is not this call's conversation records nothing either."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import SurveyAnswer
from tests.channels.twilio.conftest import fake_twilio, phone_inbox, post, settings
from tests.channels.twilio.voice_helpers import call_params, voice
from tests.surveys.conftest import make_survey
from tests.surveys.test_phone import bridged, the_request

assert fake_twilio and phone_inbox and settings  # fixtures, used by name


def test_the_survey_key_webhook_is_signature_verified(client, db, phone_inbox, frozen_clock):
    make_survey(db, channels=["phone"])
    bridged(client, phone_inbox.id, frozen_clock)
    req = the_request(db)
    path = f"/channels/twilio/voice/{phone_inbox.id}/survey-key?req={req.id}"
    assert post(client, path, call_params(Digits="5"), signature=None).status_code == 403
    assert post(client, path, call_params(Digits="5"), signature="forged").status_code == 403
    # Signed for another request's URL: the query is part of what Twilio signs.
    other = f"https://support.example.com/channels/twilio/voice/{phone_inbox.id}/survey-key?req={req.id + 1}"
    assert post(client, path, call_params(Digits="5"), url=other).status_code == 403
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.id)) is None


def test_a_signed_answer_for_another_conversations_survey_records_nothing(client, db, phone_inbox, frozen_clock):
    make_survey(db, channels=["phone"])
    bridged(client, phone_inbox.id, frozen_clock)
    req = the_request(db)
    other_call = call_params(CallSid="CA" + "77" * 16, Digits="5")
    r = post(client, f"/channels/twilio/voice/{phone_inbox.id}/survey-key?req={req.id}", other_call)
    assert r.status_code == 404  # no such call: a call starts at its incoming webhook
    voice(client, phone_inbox.id, "survey-key", f"?req={req.id + 1000}", Digits="5")
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.id)) is None
