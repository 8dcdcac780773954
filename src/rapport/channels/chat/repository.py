"""Every chat query: inboxes by public key, visitors by token, a visitor's history."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rapport.conversations.lifecycle import merges
from rapport.kit.problems import NotFound, Unauthorized
from rapport.kit.secrets import token_hash
from rapport.models import Attachment, ChatVerification, ChatVisitor, Conversation, Identity, Inbox, Message
from rapport.realtime.pushes import message_shape, shown_messages


def inbox_by_key(session: Session, key: str) -> Inbox:
    """The active chat inbox whose settings carry `public_key` = key."""
    inbox = session.scalars(
        select(Inbox)
        .where(Inbox.channel == "chat", Inbox.active.is_(True), Inbox.settings["public_key"].as_string() == key)
        .limit(1)
    ).first()
    if inbox is None:
        raise NotFound(f"There is no active chat inbox with the key '{key}'.")
    return inbox


def allowed_origins(session: Session, key: str) -> list[str] | None:
    """The inbox's allowed origins (settings.allowed_origins), or None when the key names no chat inbox."""
    try:
        inbox = inbox_by_key(session, key)
    except NotFound:
        return None
    origins = (inbox.settings or {}).get("allowed_origins") or []
    return [str(o).rstrip("/") for o in origins]


def visitor_by_token(session: Session, inbox_id: int, token: str) -> ChatVisitor:
    """The visitor holding `token` in this inbox; Unauthorized otherwise (another inbox's token included)."""
    visitor = session.scalar(select(ChatVisitor).where(ChatVisitor.token_hash == token_hash(token)))
    if visitor is None or visitor.inbox_id != inbox_id:
        raise Unauthorized("The visitor token is unknown for this chat; start a new chat.")
    return visitor


def customer_of(session: Session, visitor: ChatVisitor) -> int | None:
    """The customer who owns the visitor's chat identity (None before they first write)."""
    return session.scalar(
        select(Identity.customer_id).where(Identity.kind == "chat", Identity.address == visitor.address)
    )


def survivor(session: Session, conversation_id: int) -> int:
    """Follow merges to the conversation that now holds the messages."""
    return merges.survivor(session, conversation_id)


def history(
    session: Session, *, conversation_ids: list[int] | None, customer_id: int | None, after: int, limit: int
) -> list[dict]:
    """Customer-visible messages (never notes) after id `after`, oldest first, in the live-push shape."""
    query = (
        shown_messages()
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.direction != "note",
            Message.id > after,
            # Only messages from and to the conversation's own customer: another customer's (and the replies written
            # to them), moved in by a merge, never reach this visitor.
            Message.customer_id == Conversation.customer_id,
        )
    )
    scope = []
    if conversation_ids:
        scope.append(Message.conversation_id.in_(conversation_ids))
    if customer_id is not None:
        scope.append(Conversation.customer_id == customer_id)
    if not scope:
        return []
    rows = list(session.execute(query.where(or_(*scope)).order_by(Message.id).limit(limit)))
    files: dict[int, list[dict]] = {r.id: [] for r in rows}
    if rows:
        for a in session.scalars(select(Attachment).where(Attachment.message_id.in_(files)).order_by(Attachment.id)):
            files[a.message_id].append(
                {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            )
    return [message_shape(r, files[r.id]) for r in rows]


def attachment(session: Session, attachment_id: int) -> tuple[Attachment, Message]:
    """An attachment and its message; NotFound when there is none."""
    row = session.execute(
        select(Attachment, Message)
        .join(Message, Message.id == Attachment.message_id)
        .where(Attachment.id == attachment_id)
    ).first()
    if row is None:
        raise NotFound(f"There is no attachment {attachment_id}.")
    return row[0], row[1]


def pending_verification(session: Session, visitor_id: int) -> ChatVerification | None:
    """The visitor's newest unused confirmation code (locked on PostgreSQL, so it is used once and tries count)."""
    return session.scalars(
        select(ChatVerification)
        .where(
            ChatVerification.visitor_id == visitor_id,
            ChatVerification.used_at.is_(None),
            ChatVerification.code_hash.is_not(None),
        )
        .order_by(ChatVerification.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
