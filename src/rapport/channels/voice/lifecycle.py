"""A queued call's life, from Twilio's callbacks: waiting (with the callback offer), answered, left, ended."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from rapport.channels.twilio_common.webhook import Webhook
from rapport.channels.voice import repository, survey
from rapport.channels.voice.calls import call_message
from rapport.channels.voice.record import call_event, save, urls
from rapport.kit.clock import now
from rapport.models import Callback

CALLBACK_KEY = "1"
ENDED = {"completed", "busy", "failed", "no-answer", "canceled"}


def wait_music(hook: Webhook) -> str:
    """What a waiting caller hears (Twilio repeats it): the offer of a callback, then a pause."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=urls(hook.inbox.id)["wait_key"], method="POST", timeout=20)
    gather.say("Thank you for holding. To be called back instead of holding, press 1.")
    response.append(gather)
    return str(response)


def wait_key(session: Session, hook: Webhook) -> str:
    """A key pressed while waiting: 1 turns the wait into a callback due when a person would have answered."""
    response = VoiceResponse()
    if hook.get("Digits") != CALLBACK_KEY:
        response.say("Please keep holding; a person will be with you shortly.")
        return str(response)
    message = call_message(session, hook)
    call = dict(message.meta["call"])
    if call.get("hidden"):
        response.say("Sorry, we cannot call back a withheld number. Please keep holding.")
        return str(response)
    if repository.callback_for_call(session, call["sid"]) is None and call["status"] == "queued":
        stamp = now()
        # Due when a person would have answered, as announced when the caller joined the queue.
        due = datetime.fromisoformat(call["queued_at"]) + timedelta(seconds=call.get("expected_wait_seconds") or 0)
        callback = Callback(
            inbox_id=hook.inbox.id,
            conversation_id=message.conversation_id,
            customer_id=message.customer_id,
            message_id=message.id,
            phone=call["from"],
            call_sid=call["sid"],
            state="due",
            due_at=max(stamp, due),
            created_at=stamp,
        )
        session.add(callback)
        session.flush()
        call.update(status="callback_requested", callback_id=callback.id, wait_seconds=_since(call, "queued_at"))
        save(message, call)
        call_event(session, message, "call.callback_requested", call)
    response.say("Thank you. We will call you back at this number. Goodbye.")
    response.leave()
    return str(response)


def answered(session: Session, hook: Webhook) -> str:
    """An agent dequeued the caller (the <Queue url> of the agent's <Dial>): the wait ends here."""
    message = call_message(session, hook)
    _answer(session, message, _int(hook.get("QueueTime")))
    return str(VoiceResponse())


def queue_result(session: Session, hook: Webhook) -> str:
    """The caller left the queue (Enqueue's action): bridged to an agent, hung up, or left for a callback."""
    message = call_message(session, hook)
    result, waited = hook.get("QueueResult") or "", _int(hook.get("QueueTime"))
    call = dict(message.meta["call"])
    if result == "bridged":
        _answer(session, message, waited)
        # The person hung up and the caller is still on the line: the keypad survey, when one applies.
        caller = "" if call.get("hidden") else call.get("from") or ""
        return survey.after_call(session, hook, message.conversation_id, caller) or str(VoiceResponse())
    if call["status"] == "queued":  # hung up, queue full, error: the caller gave up or was turned away
        call.update(status="abandoned", wait_seconds=waited, queue_result=result)
        save(message, call)
        call_event(session, message, "call.abandoned", call)
    response = VoiceResponse()
    response.hangup()
    return str(response)


def call_status(session: Session, hook: Webhook) -> None:
    """A call status callback: when the call ends, its talk time (CallDuration less the time before an answer)."""
    message = call_message(session, hook)
    status = hook.get("CallStatus") or ""
    call = dict(message.meta["call"])
    if status in call.get("seen", []) or call.get("ended"):
        return  # a replayed callback
    call["seen"] = [*call.get("seen", []), status]
    if hook.get("RecordingUrl"):
        call["recording_url"] = hook.get("RecordingUrl")
    if status not in ENDED:
        save(message, call)
        return
    if call["status"] == "queued":  # the caller hung up before the queue told us
        call.update(status="abandoned", wait_seconds=_since(call, "queued_at"))
        save(message, call)
        call_event(session, message, "call.abandoned", call)
    elif call["status"] == "menu":
        call["status"] = "self_service"
    duration = _int(hook.get("CallDuration"))
    call.update(ended=True, duration=duration)
    if call["status"] == "answered":
        before = _seconds(call["started_at"], call.get("queued_at")) + (call.get("wait_seconds") or 0)
        call["talk_seconds"] = max(0, duration - before)
    save(message, call)
    call_event(session, message, "call.completed", call)


def recording(session: Session, hook: Webhook) -> None:
    """A recording is ready: its link goes on the call (and the timeline, when the call already ended)."""
    if hook.get("RecordingStatus", "completed") != "completed" or not hook.get("RecordingUrl"):
        return
    message = call_message(session, hook)
    call = dict(message.meta["call"])
    if call.get("recording_url") == hook.get("RecordingUrl"):
        return
    call["recording_url"] = hook.get("RecordingUrl")
    save(message, call)
    if call.get("ended"):
        call_event(session, message, "call.recorded", call)


def _answer(session: Session, message, waited: int) -> None:
    call = dict(message.meta["call"])
    if call["status"] != "queued":
        return  # answered already (the <Queue url> and then Enqueue's action both say so)
    call.update(status="answered", wait_seconds=waited, answered_at=now().isoformat())
    save(message, call)
    call_event(session, message, "call.answered", call)


def _since(call: dict, key: str) -> int:
    return _seconds(call[key], now().isoformat()) if call.get(key) else 0


def _seconds(start: str, end: str | None) -> int:
    if not end:
        return 0
    return max(0, int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()))


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
