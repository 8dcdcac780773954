"""The chat visitor's side: start a chat, write, read their own history, ask for a person, signal typing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.channels.chat import repository
from rapport.channels.chat import settings as chat_settings
from rapport.config import get_settings
from rapport.conversations import human
from rapport.conversations.attachments import IncomingFile
from rapport.conversations.inbound import Inbound, Received, receive_inbound
from rapport.kernel.permissions import SYSTEM
from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.problems import NotFound, TooManyRequests, Unauthorized
from rapport.kit.ratelimit import Key
from rapport.kit.secrets import new_token, token_hash
from rapport.models import Attachment, ChatVisitor, Conversation
from rapport.models.enums import ACTIVE_STATUSES, Status
from rapport.realtime.pushes import Push, signal
from rapport.routing import queue
from rapport.routing.wait import Wait
from rapport.surveys import inline as surveys

PERSON_TEXT = "I would like to talk to a person."
UNKNOWN = "unknown"
VISITOR, CONVERSATION = "visitor", "conversation"
# What each per-address limit counts: the Settings field and its environment variable.
LIMITS = {
    VISITOR: ("chat_visitors_per_client_per_hour", "RAPPORT_CHAT_VISITORS_PER_CLIENT_PER_HOUR"),
    CONVERSATION: ("chat_conversations_per_client_per_hour", "RAPPORT_CHAT_CONVERSATIONS_PER_CLIENT_PER_HOUR"),
}


@dataclass(frozen=True)
class Scope:
    """What a visitor may read: their current conversation, or (once verified) everything of their customer."""

    conversation_ids: list[int]
    customer_id: int | None

    @property
    def topic(self) -> str | None:
        """The live topic carrying the scope's pushes."""
        if self.customer_id is not None:
            return f"customer:{self.customer_id}"
        return f"conversation:{self.conversation_ids[0]}" if self.conversation_ids else None


def start(
    session: Session, inbox_key: str, *, name: str | None = None, client: str = UNKNOWN
) -> tuple[ChatVisitor, str]:
    """A new anonymous visitor of the inbox: a random chat identity address and a secret token (kept hashed)."""
    inbox = repository.inbox_by_key(session, inbox_key)
    ratelimit.check(session, _start_key(VISITOR, client))  # counted once the visitor exists
    token = new_token("rcv")
    visitor = ChatVisitor(
        inbox_id=inbox.id,
        token_hash=token_hash(token),
        address=new_token("cv")[:40],
        name=(name or "").strip()[:200] or None,
        continue_by_email=False,
        window_count=0,
        created_at=now(),
    )
    session.add(visitor)
    session.flush()
    ratelimit.spend(session, _start_key(VISITOR, client))
    return visitor, token


def authenticate(session: Session, inbox_key: str, token: str | None) -> ChatVisitor:
    """The visitor behind the X-Rapport-Visitor token, in the inbox the key names."""
    if not token:
        raise Unauthorized("Send the visitor token in the X-Rapport-Visitor header (POST .../visitors gives one).")
    inbox = repository.inbox_by_key(session, inbox_key)
    return repository.visitor_by_token(session, inbox.id, token)


def scope(session: Session, visitor: ChatVisitor) -> Scope:
    """What this visitor may read now."""
    if visitor.email_verified_at is not None:
        customer_id = repository.customer_of(session, visitor)
        if customer_id is not None:
            return Scope([], customer_id)
    if visitor.conversation_id is None:
        return Scope([], None)
    conv_id = repository.survivor(session, visitor.conversation_id)
    if conv_id != visitor.conversation_id:
        # Merged by an agent: follow it only within the visitor's own customer; another customer's
        # conversation stays hidden until the visitor proves who they are by email.
        owner = repository.customer_of(session, visitor)
        if session.scalar(select(Conversation.customer_id).where(Conversation.id == conv_id)) != owner:
            return Scope([], None)
    return Scope([conv_id], None)


def post(
    session: Session, visitor: ChatVisitor, *, text: str | None, files: list[IncomingFile], client: str = UNKNOWN
) -> Received:
    """Store the visitor's message through the inbound pipeline (limits, threading, events) in this transaction."""
    _count_message(visitor)
    if _starts_conversation(session, visitor):
        ratelimit.check(session, _start_key(CONVERSATION, client))  # counted only if one is opened
    msg = Inbound(
        inbox_id=visitor.inbox_id,
        sender_kind="chat",
        sender_address=visitor.address,
        sender_name=visitor.name,
        text=text,
        channel="chat",
        files=files,
    )
    got = receive_inbound(session, SYSTEM, msg)
    visitor.conversation_id = got.conversation_id
    if got.new_conversation:
        ratelimit.spend(session, _start_key(CONVERSATION, client))
    return got


def _starts_conversation(session: Session, visitor: ChatVisitor) -> bool:
    """Whether the visitor's next message opens a new conversation (they have no active one)."""
    if visitor.conversation_id is None:
        return True
    conv_id = repository.survivor(session, visitor.conversation_id)
    status = session.scalar(select(Conversation.status).where(Conversation.id == conv_id))
    return status not in ACTIVE_STATUSES


def _start_key(kind: str, client: str) -> Key:
    """The client address's hourly budget of new visitors or conversations (kit.ratelimit)."""
    field, setting = LIMITS[kind]
    return Key(f"chat.{kind}", client, getattr(get_settings(), field), setting, f"new chat {kind}s from this address")


def _count_message(visitor: ChatVisitor) -> None:
    limit = get_settings().chat_max_messages_per_hour
    stamp = now()
    if visitor.window_started_at is None or (stamp - visitor.window_started_at).total_seconds() >= 3600:
        visitor.window_started_at, visitor.window_count = stamp, 0
    if visitor.window_count >= limit:
        raise TooManyRequests(
            f"This chat sent {limit} messages within the hour, the most RAPPORT_CHAT_MAX_MESSAGES_PER_HOUR allows; "
            "please wait a little.",
            limit=limit,
            setting="RAPPORT_CHAT_MAX_MESSAGES_PER_HOUR",
        )
    visitor.window_count += 1


def history(session: Session, visitor: ChatVisitor, *, after: int = 0, limit: int = 200) -> list[dict]:
    """The visitor's readable messages after id `after` (what a reloaded page shows)."""
    s = scope(session, visitor)
    return repository.history(
        session, conversation_ids=s.conversation_ids, customer_id=s.customer_id, after=after, limit=limit
    )


def wait(session: Session, inbox_id: int) -> Wait:
    """The expected wait for a person in the chat inbox (seconds None: nobody is available)."""
    return queue.inbox_wait(session, inbox_id)


def inbox_wait(session: Session, inbox_key: str) -> Wait:
    """The wait announced by the chat inbox `inbox_key` (NotFound for an unknown key)."""
    return wait(session, repository.inbox_by_key(session, inbox_key).id)


def theme(session: Session, inbox_key: str) -> dict[str, str]:
    """The widget colours of the chat inbox `inbox_key` (NotFound for an unknown key)."""
    return chat_settings.theme(repository.inbox_by_key(session, inbox_key).settings)


def topic(session: Session, visitor: ChatVisitor) -> str:
    """The one live topic a visitor's stream follows (their chat, or their customer once verified)."""
    return scope(session, visitor).topic or f"visitor:{visitor.id}"


def ask_for_person(
    session: Session, visitor: ChatVisitor, *, text: str | None = None, client: str = UNKNOWN
) -> tuple[int, Wait]:
    """Put the visitor's conversation in the human queue (starting one if needed); the wait ahead of them."""
    ahead = wait(session, visitor.inbox_id)
    conv_id = visitor.conversation_id and repository.survivor(session, visitor.conversation_id)
    conv = session.get(Conversation, conv_id) if conv_id else None
    if text or conv is None or conv.status == Status.closed:
        conv_id = post(session, visitor, text=text or PERSON_TEXT, files=[], client=client).conversation_id
    human.request_human(session, SYSTEM, conv_id, channel="chat", via="chat_button")
    session.flush()  # the standing read next sees the request (sessions do not autoflush)
    return conv_id, ahead


def standing(session: Session, visitor: ChatVisitor) -> queue.Standing:
    """Where the visitor's chat stands in the inbox's human queue: position and expected wait, or who answered."""
    if visitor.conversation_id is None:
        return queue.Standing(False)
    conv_id = repository.survivor(session, visitor.conversation_id)
    if conv_id != visitor.conversation_id:
        # Merged: only into a conversation of the visitor's own customer, as `scope` reads it.
        owner = session.scalar(select(Conversation.customer_id).where(Conversation.id == conv_id))
        if owner != repository.customer_of(session, visitor):
            return queue.Standing(False)
    return queue.standing(session, conv_id)


def typing(session: Session, visitor: ChatVisitor, *, state: str) -> Push | None:
    """The visitor's typing, for the agents on their conversation (None before the visitor has one)."""
    if visitor.conversation_id is None:
        return None
    conv_id = repository.survivor(session, visitor.conversation_id)
    return signal("typing", conv_id, who={"kind": "visitor", "id": visitor.id}, state=state, customer_id=None)


def attachment_for(session: Session, visitor: ChatVisitor, attachment_id: int) -> Attachment:
    """An attachment of a message the visitor may read; NotFound for anything else (no hint it exists)."""
    att, message = repository.attachment(session, attachment_id)
    s = scope(session, visitor)
    owner = session.get(Conversation, message.conversation_id).customer_id
    allowed = (
        message.direction != "note"
        # Never another customer's file, even one a merge moved into this conversation.
        and message.customer_id in (None, owner)
        and (message.conversation_id in s.conversation_ids or (s.customer_id is not None and owner == s.customer_id))
    )
    if not allowed:
        raise NotFound(f"There is no attachment {attachment_id}.")
    return att


def open_survey(session: Session, visitor: ChatVisitor) -> dict | None:
    """The newest open survey of the visitor's readable conversations, as the widget shows it (None: none)."""
    s = scope(session, visitor)
    found = surveys.open_for(session, conversation_ids=s.conversation_ids, customer_id=s.customer_id)
    return found[0].shape() if found else None


def answer_survey(session: Session, visitor: ChatVisitor, request_id: int, score: int, *, client: str) -> str:
    """Record the visitor's tap on their open survey's first question; the fresh token of the survey page."""
    s = scope(session, visitor)
    return surveys.answer_first(
        session, request_id, score, client=client, conversation_ids=s.conversation_ids, customer_id=s.customer_id
    )
