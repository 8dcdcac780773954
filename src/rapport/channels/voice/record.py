"""A call as a message: its state in `meta["call"]`, a readable summary as its text, and its events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM
from rapport.models import Message

EVENT_FIELDS = ("wait_seconds", "talk_seconds", "recording_url", "queue_result", "callback_id")


def urls(inbox_id: int) -> dict[str, str]:
    """The public webhook URLs of a phone inbox (what Twilio is told to call, and signs)."""
    base = f"{get_settings().base_url.rstrip('/')}/channels/twilio/voice/{inbox_id}"
    names = ("incoming", "menu", "timeout", "wait", "wait_key", "answered", "queue_result", "status", "recording",
             "survey_key")  # fmt: skip
    return {name: f"{base}/{name.replace('_', '-')}" for name in names}


def summary(call: dict) -> str:
    """One line for the timeline: what happened on the call, with its waits, talk time and recording."""
    text = f"Phone call from {call.get('from')}: "
    wait = call.get("wait_seconds")
    text += {
        "menu": "in the menu.",
        "queued": "waiting for a person.",
        "answered": f"answered after {wait} s in the queue.",
        "abandoned": f"hung up after {wait} s in the queue.",
        "callback_requested": f"asked for a callback after {wait} s in the queue.",
        "self_service": "served by the menu.",
    }.get(call.get("status"), f"{call.get('status')}.")
    if call.get("talk_seconds") is not None:
        text += f" Talked {call['talk_seconds']} s."
    if call.get("ended"):
        text += f" Call ended ({call.get('duration', 0)} s in all)."
    if call.get("recording_url"):
        text += f" Recording: {call['recording_url']}"
    return text


def save(message: Message, call: dict) -> None:
    """Store the call's new state on its message (a new dict, so the JSON column is seen as changed)."""
    message.meta = {**message.meta, "call": call}
    message.body_text = summary(call)


def call_event(session: Session, message: Message, name: str, call: dict) -> None:
    """Record `name` (call.queued, call.answered …) on the call's conversation and customer timeline."""
    record(
        session,
        name,
        SYSTEM,
        conversation_id=message.conversation_id,
        customer_id=message.customer_id,
        message_id=message.id,
        call_sid=call["sid"],
        status=call["status"],
        **{k: call.get(k) for k in EVENT_FIELDS},
    )
