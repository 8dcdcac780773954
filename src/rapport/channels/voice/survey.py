"""The keypad survey after a call a person answered: asked when the queue ends bridged (the agent hung up and the
caller is still on the line), its digits posted back by Twilio's <Gather> to the survey-key webhook (signed and
verified like every voice webhook), answered through the surveys' store."""

from __future__ import annotations

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from rapport.channels.twilio_common.webhook import Webhook
from rapport.channels.voice.calls import call_message
from rapport.channels.voice.record import urls
from rapport.surveys import phone

TIMEOUT_SECONDS = 8


def after_call(session: Session, hook: Webhook, conversation_id: int, caller: str) -> str | None:
    """The TwiML asking the call's survey, or None (no survey applies: the call just ends)."""
    spoken = phone.offer(session, conversation_id, caller)
    if spoken is None:
        return None
    response = VoiceResponse()
    gather = Gather(
        input="dtmf", num_digits=spoken.digits, finish_on_key="#", timeout=TIMEOUT_SECONDS, method="POST",
        action=f"{urls(hook.inbox.id)['survey_key']}?req={spoken.request_id}",
    )  # fmt: skip
    gather.say(f"Before you go, one question. {spoken.text}")
    response.append(gather)
    response.say("Thank you for calling. Goodbye.")
    response.hangup()
    return str(response)


def key(session: Session, hook: Webhook, request_id: int) -> str:
    """The caller's keypad answer (Digits): recorded when it is a point of the question, then goodbye."""
    message = call_message(session, hook)
    caller = (message.meta.get("call") or {}).get("from") or hook.get("From") or ""
    done = phone.answer(session, message.conversation_id, request_id, hook.get("Digits"), caller)
    response = VoiceResponse()
    response.say("Thank you for your answer. Goodbye." if done else "Thank you for calling. Goodbye.")
    response.hangup()
    return str(response)
