"""The phone channel's events: a call's progress and callbacks."""

from __future__ import annotations

from rapport.events.registry import Payload, declare
from rapport.events.wording import Context, Sentence, value


class CallProgress(Payload):
    """A phone call moved on: queued, answered, abandoned, completed or turned into a callback request."""

    call_sid: str
    status: str
    wait_seconds: int | None = None
    talk_seconds: int | None = None
    recording_url: str | None = None
    queue_result: str | None = None
    callback_id: int | None = None


class CallbackDone(Payload):
    """An agent called a customer back (or the callback was cancelled)."""

    callback_id: int
    state: str


def _duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _call(what: str) -> Sentence:
    def say(who: str, p: dict, _: Context) -> str:
        extra = []
        if p.get("wait_seconds") is not None:
            extra.append(f"after waiting {_duration(p['wait_seconds'])}")
        if p.get("talk_seconds") is not None:
            extra.append(f"talked {_duration(p['talk_seconds'])}")
        return " ".join([f"Call {what}", *extra])

    return say


QUEUED = declare("call.queued", CallProgress, _call("queued"))
ANSWERED = declare("call.answered", CallProgress, _call("answered"))
ABANDONED = declare("call.abandoned", CallProgress, _call("abandoned by the caller"))
COMPLETED = declare("call.completed", CallProgress, _call("completed"))
RECORDED = declare("call.recorded", CallProgress, _call("recorded"))
CALLBACK_REQUESTED = declare(
    "call.callback_requested", CallProgress, lambda who, p, c: "The caller asked to be called back"
)
CALLBACK_COMPLETED = declare(
    "callback.completed",
    CallbackDone,
    lambda who, p, c: f"{who} marked the callback {value(p.get('state'))}",
)
