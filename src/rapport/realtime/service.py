"""Who may follow which topic, and the presence signals agents send (typing, viewing)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations import repository as conversations
from rapport.inboxes import repository as inboxes
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.problems import Forbidden, Invalid
from rapport.realtime.pushes import Push, signal

MAX_TOPICS = 50
STATES = ("typing", "idle", "viewing", "left")


def check_topics(session: Session, actor: Actor, topics: list[str]) -> list[str]:
    """The topics `actor` asked for, each checked: a topic the actor may not read is refused, not skipped."""
    if not topics or len(topics) > MAX_TOPICS:
        raise Invalid(f"Ask for 1 to {MAX_TOPICS} topics (?topic=conversation:123).", errors=[{"field": "topic"}])
    checked = []
    for topic in dict.fromkeys(topics):
        kind, _, raw = topic.partition(":")
        if kind in ("all", "queue") and topic in ("all", "queue:human"):
            authorize(actor, "conversations.read")
        elif kind in ("conversation", "customer", "inbox", "agent") and raw.isdigit():
            _check_one(session, actor, kind, int(raw))
        else:
            raise Invalid(
                f"Unknown topic '{topic}'; use conversation:<id>, customer:<id>, inbox:<id>, agent:<id>, "
                "queue:human or all.",
                errors=[{"field": "topic"}],
            )
        checked.append(topic)
    return checked


def _check_one(session: Session, actor: Actor, kind: str, ident: int) -> None:
    if kind == "conversation":
        authorize(actor, "conversations.read")
        conversations.get(session, ident)
    elif kind == "customer":
        authorize(actor, "customers.read")
    elif kind == "inbox":
        authorize(actor, "conversations.read")
        inboxes.get(session, ident)
    elif ident != actor.id:
        # Another agent's stream shows their whole workload: supervisors only.
        authorize(actor, "conversations.assign_others")
    else:
        authorize(actor, "conversations.read")
    if actor.kind != "agent" and actor.kind != "system":
        raise Forbidden("Only agents follow live topics.")


def agent_signal(session: Session, actor: Actor, conversation_id: int, *, state: str) -> Push:
    """An agent's presence in a conversation, for the customer (typing) and the other agents (all states)."""
    authorize(actor, "conversations.write" if state == "typing" else "conversations.read")
    if state not in STATES:
        raise Invalid(f"state must be one of {', '.join(STATES)}.", errors=[{"field": "state"}])
    conv = conversations.get(session, conversation_id)
    who = {"kind": "agent", "id": actor.id, "name": (actor.name or "").split(" ")[0] or None}
    return signal(
        "typing" if state in ("typing", "idle") else "presence",
        conv.id,
        who=who,
        state=state,
        customer_id=conv.customer_id,
    )
