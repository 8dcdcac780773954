"""What a live page receives: committed events (with the message they add) and ephemeral signals, by topic.

Topics: `conversation:<id>`, `customer:<id>`, `inbox:<id>`, `agent:<id>` (the conversation's assignee),
`queue:human` (requests for a person) and `all`. A push is `public` when a customer may see it: messages to
or from them and agents' typing, never notes or internal changes; visitor streams pass only public pushes.
Each event type declares its own extra topics, whether only those hear of it, whether the customer may see it and
whether its push carries its message (`rapport.events.registry.EventType`); nothing here names an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from sqlalchemy import select

from rapport.db.session import Database
from rapport.events.registry import Empty, EventType, find
from rapport.models import Agent, Attachment, Conversation, Message

_PLAIN = EventType("unknown.event", Empty, lambda who, p, c: "")  # a row no domain declares: default routing


@dataclass(frozen=True)
class Push:
    """One thing to send: its name, the topics that receive it, whether customers may see it, and its data."""

    name: str
    topics: tuple[str, ...]
    data: dict
    public: bool = False
    id: int | None = None
    frame: bytes = field(default=b"", compare=False)

    @classmethod
    def make(cls, name: str, topics, data: dict, *, public: bool = False, id: int | None = None) -> Push:
        """A push with its Server-Sent Events frame encoded once, however many subscribers it reaches."""
        body = orjson.dumps(data)
        head = f"id: {id}\n" if id is not None else ""
        frame = f"{head}event: {name}\ndata: ".encode() + body + b"\n\n"
        return cls(name, tuple(topics), data, public, id, frame)

    def dumps(self) -> bytes:
        """The wire form between processes (Redis)."""
        return orjson.dumps({"n": self.name, "t": self.topics, "d": self.data, "p": self.public, "i": self.id})

    @classmethod
    def loads(cls, raw: bytes | str) -> Push:
        """Read a push written by `dumps`."""
        v = orjson.loads(raw)
        return cls.make(v["n"], v["t"], v["d"], public=v["p"], id=v["i"])


def build_pushes(db: Database, events: list) -> list[Push]:
    """Pushes for a batch of committed events, reading the conversations and messages they name in one go."""
    declared = {name: find(name) or _PLAIN for name in {e.name for e in events}}
    conv_ids = {e.conversation_id for e in events if e.conversation_id}
    msg_ids = {e.message_id for e in events if e.message_id and declared[e.name].carries_message}
    convs: dict[int, tuple] = {}
    messages: dict[int, dict] = {}
    if conv_ids or msg_ids:
        with db.read() as session:
            if conv_ids:
                rows = session.execute(
                    select(Conversation.id, Conversation.inbox_id, Conversation.assignee_id).where(
                        Conversation.id.in_(conv_ids)
                    )
                )
                convs = {r.id: (r.inbox_id, r.assignee_id) for r in rows}
            if msg_ids:
                messages = _messages(session, msg_ids)
    pushes = []
    for e in events:
        kind = declared[e.name]
        topics = ["all"]
        if e.conversation_id:
            topics.append(f"conversation:{e.conversation_id}")
            inbox_id, assignee_id = convs.get(e.conversation_id, (None, None))
            if inbox_id:
                topics.append(f"inbox:{inbox_id}")
            if assignee_id:
                topics.append(f"agent:{assignee_id}")
        if e.customer_id:
            topics.append(f"customer:{e.customer_id}")
        extra = list(kind.topics(e.payload or {}))
        topics = extra if kind.private_push else topics + extra
        message = messages.get(e.message_id) if e.message_id else None
        data = {
            "event": {
                "id": e.id,
                "name": e.name,
                "occurred_at": e.occurred_at.isoformat(),
                "actor_kind": e.actor_kind,
                "actor_id": e.actor_id,
                "conversation_id": e.conversation_id,
                "customer_id": e.customer_id,
                "message_id": e.message_id,
                "payload": e.payload,
            },
            "message": message,
        }
        public = kind.customer_sees and message is not None and message["direction"] != "note"
        pushes.append(Push.make(e.name, topics, data, public=public, id=e.id))
    return pushes


def shown_messages():
    """The columns a live page or the chat widget shows of a message (with its agent's name), to filter further."""
    return select(
        Message.id,
        Message.conversation_id,
        Message.direction,
        Message.channel,
        Message.author_kind,
        Message.body_text,
        Message.body_html,
        Message.created_at,
        Agent.name.label("agent_name"),
    ).outerjoin(Agent, Agent.id == Message.agent_id)


def _messages(session, ids: set[int]) -> dict[int, dict]:
    rows = session.execute(shown_messages().where(Message.id.in_(ids)))
    out = {r.id: message_shape(r, []) for r in rows}
    for a in session.scalars(select(Attachment).where(Attachment.message_id.in_(ids)).order_by(Attachment.id)):
        out[a.message_id]["attachments"].append(
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
        )
    return out


def message_shape(row, attachments: list[dict]) -> dict:
    """A message as live pages and the chat widget show it (the same shape as the chat history)."""
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "direction": row.direction,
        "channel": row.channel,
        "author_kind": row.author_kind,
        # Customers see an agent's first name only.
        "author_name": (row.agent_name or "").split(" ")[0] or None,
        "text": row.body_text,
        "html": row.body_html,
        "created_at": row.created_at.isoformat(),
        "attachments": attachments,
    }


def signal(kind: str, conversation_id: int, *, who: dict, state: str, customer_id: int | None) -> Push:
    """An ephemeral presence signal (typing, viewing): never stored; public when an agent is typing."""
    topics = [f"conversation:{conversation_id}"]
    public = who.get("kind") == "agent" and state in ("typing", "idle")
    if public and customer_id:
        topics.append(f"customer:{customer_id}")
    data = {"conversation_id": conversation_id, "who": who, "state": state}
    return Push.make(kind, topics, data, public=public)
