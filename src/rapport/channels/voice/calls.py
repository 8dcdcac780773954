"""A call arrives: the caller becomes (or is found as) a customer, hears the IVR, and may join the human queue."""

from __future__ import annotations

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Enqueue, VoiceResponse

from rapport.channels.twilio_common.webhook import Webhook
from rapport.channels.voice import repository
from rapport.channels.voice.ivr import Ivr, render_menu, spoken_choice, wants_agent
from rapport.channels.voice.record import call_event, save, urls
from rapport.conversations.human import request_human
from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.customers.identities import normalise
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from rapport.kit.problems import BadRequest, Invalid, NotFound
from rapport.models import Message
from rapport.routing.wait import expected_wait


def load_ivr(session: Session, inbox_id: int) -> Ivr:
    """The inbox's IVR (the default one when an admin has not set any)."""
    inbox = repository.inbox(session, inbox_id)
    return Ivr.model_validate(inbox.settings.get("ivr")) if inbox and inbox.settings.get("ivr") else Ivr()


def incoming(session: Session, hook: Webhook) -> str:
    """Store the call as a message on the caller's history and answer with the top menu."""
    sid, caller = hook.get("CallSid"), hook.get("From")
    if not sid or not caller:
        raise BadRequest("A voice webhook needs CallSid and From.")
    call = {"sid": sid, "status": "menu", "from": caller, "started_at": now().isoformat(), "seen": []}
    kind, address = "phone", caller
    try:
        normalise("phone", caller)
    except Invalid:
        # A withheld number ("anonymous", "+266696687"): the call is still taken, as its own customer.
        kind, address, call["hidden"] = "external", f"twilio-call:{sid}", True
    receive_inbound(
        session,
        SYSTEM,
        Inbound(
            inbox_id=hook.inbox.id,
            sender_kind=kind,
            sender_address=address,
            text=f"Phone call from {caller}: in the menu.",
            external_id=sid,  # a retried webhook finds this message instead of adding one
            channel="phone",
            meta={"from": caller, "to": hook.get("To"), "call": call},
        ),
    )
    ivr = load_ivr(session, hook.inbox.id)
    u = urls(hook.inbox.id)
    return render_menu(ivr, ivr.menu, action=u["menu"], fallback=u["timeout"], greet=True)


def choose(session: Session, hook: Webhook, *, path: str) -> str:
    """The caller pressed a digit or spoke in the menu at `path`: a submenu, a message, or the human queue."""
    digits, speech = hook.get("Digits"), hook.get("SpeechResult")
    if wants_agent(digits, speech):
        return to_queue(session, hook, via="ivr_0" if digits == "0" else "ivr_speech")
    ivr = load_ivr(session, hook.inbox.id)
    menu = ivr.menu_at(path)
    if menu is None:
        raise NotFound(f"This IVR has no menu '{path}'.")
    option = Ivr.option(menu, digits) if digits else (spoken_choice(menu, speech) if speech else None)
    u = urls(hook.inbox.id)
    if option is None:
        return render_menu(ivr, menu, action=u["menu"] + _path(path), fallback=u["timeout"], greet=False, sorry=True)
    if option.action == "menu":
        return render_menu(
            ivr, option.menu, action=u["menu"] + _path(path + option.digit), fallback=u["timeout"], greet=False
        )
    if option.action == "queue":
        return to_queue(session, hook, via="ivr_menu", say=option.say)
    response = VoiceResponse()
    response.say(option.say, language=ivr.language)
    response.hangup()
    return str(response)


def timeout(session: Session, hook: Webhook) -> str:
    """No choice was made: rather than hang up on the caller, a person takes the call."""
    return to_queue(session, hook, via="ivr_timeout")


def to_queue(session: Session, hook: Webhook, *, via: str, say: str | None = None) -> str:
    """Flag the conversation for a person, announce the expected wait, and enqueue the caller."""
    message = call_message(session, hook)
    call = dict(message.meta["call"])
    # The wait is for the people ahead of this caller, so it is estimated before the caller joins them.
    wait = expected_wait(session, channel="phone")
    request_human(session, SYSTEM, message.conversation_id, channel="phone", via=via)
    if call["status"] == "menu":
        call.update(status="queued", queued_at=now().isoformat(), via=via, expected_wait_seconds=wait.seconds)
        save(message, call)
        call_event(session, message, "call.queued", call)
    u = urls(hook.inbox.id)
    response = VoiceResponse()
    if say:
        response.say(say)
    response.say(wait.spoken())
    response.say("While you wait, you can press 1 to be called back instead of holding.")
    enqueue = Enqueue(action=u["queue_result"], method="POST", wait_url=u["wait"], wait_url_method="POST")
    enqueue.value = queue_name(hook.inbox.id)
    response.append(enqueue)
    return str(response)


def queue_name(inbox_id: int) -> str:
    """The Twilio queue of a phone inbox (agents dequeue from it)."""
    return f"rapport-inbox-{inbox_id}"


def call_message(session: Session, hook: Webhook) -> Message:
    """The message of the call a webhook is about, locked; NotFound before its incoming webhook."""
    sid = hook.get("CallSid")
    message = repository.call_for_update(session, hook.inbox.id, sid or "")
    if message is None or "call" not in (message.meta or {}):
        raise NotFound(f"There is no call {sid} in inbox {hook.inbox.id}; a call starts at its incoming webhook.")
    return message


def _path(path: str) -> str:
    return f"?path={path}" if path else ""
