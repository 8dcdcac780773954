"""The events of recognition: kudos given to an agent (it notifies them), a follow-up opened, done, cancelled (the
answer changed) or overdue. Each is on the conversation's timeline and rules can use it."""

from __future__ import annotations

from rapport.events.registry import Payload, declare
from rapport.events.wording import listed, value


class KudosGiven(Payload):
    """A positive answer credited to one agent: what it said (the comment itself stays in the kudos row)."""

    kudos_id: int
    request_id: int
    agent_id: int
    summary: str = ""
    commented: bool = False


class FollowUpEvent(Payload):
    """A follow-up task moved: its kind (recovery, thanks), owner, due time, why, and how it ended."""

    followup_id: int
    request_id: int
    kind: str
    owner_id: int | None = None
    due_at: str | None = None
    signals: list[str] = []
    reason_code: str = ""
    outcome: str = ""


def _kind(p: dict) -> str:
    return "thank-you task" if p.get("kind") == "thanks" else "follow-up"


def _opened(who: str, p: dict, c) -> str:
    owner = c.names.get(p.get("owner_id"), "nobody yet") if p.get("owner_id") else "nobody yet"
    why = listed([value(s) for s in p.get("signals") or []])
    return f"A {_kind(p)} was opened for {owner}" + (f" ({why})" if why else "")


def _done(who: str, p: dict, c) -> str:
    code = f" ({value(p['reason_code'])})" if p.get("reason_code") else ""
    return f"{who} completed the {_kind(p)}{code}"


KUDOS_GIVEN = declare(
    "kudos.given",
    KudosGiven,
    lambda who, p, c: (
        f"Kudos for {c.names.get(p.get('agent_id'), 'an agent')}" + (f": {p['summary']}" if p.get("summary") else "")
    ),
    notifies="kudos",
)
FOLLOWUP_OPENED = declare("followup.opened", FollowUpEvent, _opened)
FOLLOWUP_DONE = declare("followup.done", FollowUpEvent, _done)
FOLLOWUP_CANCELLED = declare(
    "followup.cancelled",
    FollowUpEvent,
    lambda who, p, c: f"The {_kind(p)} was cancelled: the customer changed their answer",
)
FOLLOWUP_OVERDUE = declare("followup.overdue", FollowUpEvent, lambda who, p, c: f"The {_kind(p)} is overdue")
