"""The events of surveys: definitions kept by admins; a conversation's survey scheduled, sent, answered (with its
scores, for recognition and follow-ups to consume), withdrawn and expired."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Payload, declare
from rapport.events.wording import admin, value


class RequestEvent(Payload):
    """One survey request of the conversation moved: which survey and version, the channel, why."""

    request_id: int
    survey_id: int
    version_id: int
    channel: str
    due_at: str | None = None
    reason: str = ""


class Answered(RequestEvent):
    """The customer answered: each question's score, choice (expectations, reasons) and whether they wrote text."""

    scores: dict[str, int] = {}
    choices: dict[str, str] = {}
    commented: bool = False
    first: bool = True  # False: a re-answer within the window changed earlier answers


def _answered(who: str, p: dict, _) -> str:
    parts = [f"{k} {v}" for k, v in (p.get("scores") or {}).items() if k not in (p.get("choices") or {})]
    parts += [f"{k} {value(v)}" for k, v in (p.get("choices") or {}).items()]
    verb = "answered the survey" if p.get("first", True) else "changed their survey answers"
    return (
        f"The customer {verb}"
        + (f": {', '.join(parts)}" if parts else "")
        + (" (with a comment)" if p.get("commented") else "")
    )


CREATED = declare("survey.created", AdminChange, admin("created"))
UPDATED = declare("survey.updated", AdminChange, admin("updated"))
DELETED = declare("survey.deleted", AdminChange, admin("deleted"))
SCHEDULED = declare("survey.scheduled", RequestEvent, lambda who, p, c: f"Survey scheduled by {value(p['channel'])}")
SENT = declare("survey.sent", RequestEvent, lambda who, p, c: f"Survey sent by {value(p['channel'])}")
ANSWERED = declare("survey.answered", Answered, _answered)
WITHDRAWN = declare(
    "survey.withdrawn",
    RequestEvent,
    lambda who, p, c: "Survey withdrawn" + (f" ({p['reason']})" if p.get("reason") else ""),
)
EXPIRED = declare("survey.expired", RequestEvent, lambda who, p, c: "Survey expired without an answer")


class Hold(Payload):
    """ "Don't survey" was set on the conversation (or cleared): why, and the macro that set it, if one did."""

    reason: str = ""
    macro_id: int | None = None


HELD = declare(
    "survey.held", Hold, lambda who, p, c: "Marked: don't survey" + (f" ({p['reason']})" if p.get("reason") else "")
)
RELEASED = declare("survey.released", Hold, lambda who, p, c: "Surveys allowed again (don't survey cleared)")
CALLBACK = declare(
    "survey.callback_requested", RequestEvent, lambda who, p, c: "The customer asked for a callback after the survey"
)
