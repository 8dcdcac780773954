"""When routing acts, after commit: the `routing` consumer follows the event log (idempotent, at least once).

- a conversation created, unassigned, reopened, or given new skill needs → route it;
- a customer asked for a person (any channel) → priority raised to at least high, then routed (it heads the queue);
- a text on SMS, WhatsApp, email or the portal that asks for a person ("agent", "talk to a person" …) → the same
  request the chat button and the phone menu make;
- capacity freed (a conversation solved, pending, on hold), an agent online, a setting changed → route the queue;
- an agent away, offline or deactivated → their unstarted work goes back to the queue (and is routed again).

The spillover timer is a job by key (`routing.widen:<id>`), scheduled when no skilled agent is available.
A periodic sweep routes the queue each minute, for what no event announces: a shift starting on its calendar.
"""

from __future__ import annotations

import re

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from rapport.conversations import human
from rapport.conversations import service as conversations
from rapport.events.consumers import consumer
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, Message
from rapport.models.conversations import PRIORITY_RANKS
from rapport.models.enums import Priority
from rapport.routing import assign, repository
from rapport.worker.periodic import periodic
from rapport.worker.runner import handler

ROUTE = ("conversation.created", "conversation.skills_changed", "conversation.human_requested")
REQUEUE = ("routing.updated",)
WANTS = (*ROUTE, *REQUEUE, "conversation.assigned", "conversation.status_changed", "message.received",
         "agent.updated")  # fmt: skip
AWAY = {"away": "away", "offline": "offline"}
# A short inbound text that is only a request for a person (bounded: checked on the first TEXT_CHARS characters).
TEXT_CHARS = 80
ASKS_FOR_PERSON = re.compile(
    r"^\W*(?:(?:i\s+(?:want|need)\s+(?:to\s+(?:talk|speak)\s+to\s+)?|(?:can\s+i\s+)?(?:talk|speak)\s+to\s+)"
    r"(?:an?\s+|the\s+)?)?(?:agent|human|person|operator|representative|real\s+person|someone)\W*(?:please)?\W*$",
    re.IGNORECASE,
)
TEXT_CHANNELS = ("sms", "whatsapp", "email", "portal")


def asks_for_person(text: str) -> bool:
    """Whether a customer's short message is a request to talk to a person."""
    return bool(text) and len(text) <= TEXT_CHARS and ASKS_FOR_PERSON.match(text.strip()) is not None


@consumer("routing", wants=WANTS)
def on_events(session: Session, events: list[Row]) -> None:
    """Route, release and re-route as the events say (each conversation once per batch).

    A batch costs a fixed number of statements when nothing is routed (no setting exists): requests for a person are
    still recognised (one query for the batch's messages) and raise the priority, but nothing is routed or released.
    """
    to_route: dict[int, None] = {}
    requeue = False
    messages: list[int] = []
    away: list[tuple[int, str]] = []
    for event in events:
        payload = event.payload or {}
        if event.name in ROUTE and event.conversation_id:
            if event.name == "conversation.human_requested":
                _raise_priority(session, event.conversation_id)
            to_route[event.conversation_id] = None
        elif event.name in REQUEUE:
            requeue = True
        elif event.name == "conversation.assigned" and event.conversation_id and payload.get("to") is None:
            to_route[event.conversation_id] = None
        elif event.name == "conversation.status_changed" and event.conversation_id:
            if payload.get("to") in ("new", "open"):
                to_route[event.conversation_id] = None
            else:
                requeue = True  # its agent has room again
        elif event.name == "message.received" and event.message_id:
            messages.append(event.message_id)
        elif event.name == "agent.updated":
            leaving = _leaving(payload)
            if leaving:
                away.append(leaving)
            requeue |= leaving is not None or _joining(payload)
    _requests_for_person(session, messages)
    if not repository.any_setting(session):
        return
    for agent_id, reason in away:
        assign.release(session, agent_id, reason)
    for conversation_id in to_route:
        assign.route(session, conversation_id)
    if requeue:
        assign.route_queue(session)


def _leaving(payload: dict) -> tuple[int, str] | None:
    """(agent, reason) when the change takes an agent out of routing: deactivated, away or offline."""
    fields, agent_id = payload.get("fields") or {}, payload.get("object_id")
    if fields.get("active") is False:
        return agent_id, "deactivated"
    if fields.get("availability") in AWAY:
        return agent_id, AWAY[fields["availability"]]
    return None


def _joining(payload: dict) -> bool:
    """Whether the change may let an agent take queued work: online, new skills or teams."""
    fields = payload.get("fields") or {}
    return fields.get("availability") == "online" or "skills" in fields or "team_ids" in fields


def _raise_priority(session: Session, conversation_id: int) -> None:
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.merged_into_id or PRIORITY_RANKS.get(conv.priority, 0) >= PRIORITY_RANKS["high"]:
        return
    conversations.update(session, SYSTEM, conversation_id, conversations.Changes(priority=Priority.high))


def _requests_for_person(session: Session, message_ids: list[int]) -> None:
    if not message_ids:
        return
    rows = session.execute(
        select(Message.conversation_id, Message.channel, func.substr(Message.body_text, 1, TEXT_CHARS + 1)).where(
            Message.id.in_(message_ids), Message.direction == "inbound", Message.channel.in_(TEXT_CHANNELS)
        )
    ).all()
    for conversation_id, channel, text in rows:
        if asks_for_person(text or ""):
            human.request_human(session, SYSTEM, conversation_id, channel=channel, via=f"{channel}_text")


@handler(assign.SPILL_JOB)
def widen(session: Session, payload: dict) -> None:
    """The spillover timer ran out: open the conversation to every agent."""
    assign.widen(session, int(payload["conversation_id"]))


@periodic("routing.sweep", every_minutes=1)
def sweep(session: Session, payload: dict) -> None:
    """Route what waits in routed queues (a shift began, an agent's capacity was raised)."""
    assign.route_queue(session)
