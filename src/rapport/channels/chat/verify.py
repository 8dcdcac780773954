"""Email for a chat visitor: a signed-in-by-link verification, then the chat identity joins that email's customer.

Until the link is used the visitor stays anonymous and reads only their current chat; once it is, their chat
identity belongs to the customer who owns the address (merged into them, or the address attached), so the
history from other channels appears. Asking to continue by email is noted on the conversation for the agent.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.agents.permissions import SYSTEM
from rapport.channels.chat import repository
from rapport.config import get_settings
from rapport.conversations import service as conversations
from rapport.customers import service as customers
from rapport.customers.identities import normalise
from rapport.events.outbox import record
from rapport.kit.clock import now
from rapport.kit.mailer import send_system_mail
from rapport.kit.problems import Conflict, NotFound
from rapport.kit.secrets import new_token, token_hash
from rapport.models import ChatVerification, ChatVisitor, Conversation, Identity


def request(session: Session, visitor: ChatVisitor, *, email: str, continue_by_email: bool) -> ChatVerification:
    """Send a verification link to `email` (RAPPORT_CHAT_VERIFY_HOURS to use it, once)."""
    address = normalise("email", email)
    settings = get_settings()
    token = new_token("rcm")
    row = ChatVerification(
        visitor_id=visitor.id,
        token_hash=token_hash(token),
        email=address,
        expires_at=now() + timedelta(hours=settings.chat_verify_hours),
        created_at=now(),
    )
    session.add(row)
    session.flush()
    visitor.email = address
    visitor.continue_by_email = visitor.continue_by_email or continue_by_email
    link = f"{settings.base_url.rstrip('/')}/chat/verify?token={token}"
    purpose = "continue our conversation by email" if continue_by_email else "see your earlier conversations"
    send_system_mail(
        session,
        to=address,
        subject="Confirm your email address",
        text=(
            f"Someone (hopefully you) gave this address in our chat, to {purpose}.\n\n"
            f"Confirm it here (the link works once, for {settings.chat_verify_hours} hours):\n{link}\n\n"
            "If it was not you, ignore this mail."
        ),
        key=f"chat-verify:{row.id}",
    )
    if continue_by_email and visitor.conversation_id:
        conv_id = repository.survivor(session, visitor.conversation_id)
        _switched(session, conv_id, address, verified=False)
    return row


def confirm(session: Session, token: str) -> ChatVisitor:
    """Use a verification link: the chat identity joins the email's customer; Conflict if used or expired."""
    row = repository.verification(session, token)
    if row is None:
        raise NotFound("This confirmation link is not valid.")
    if row.used_at is not None:
        raise Conflict("This confirmation link was already used.")
    if row.expires_at <= now():
        raise Conflict("This confirmation link has expired; ask for a new one in the chat.")
    row.used_at = now()
    visitor = session.get(ChatVisitor, row.visitor_id)
    chat_customer = repository.customer_of(session, visitor)
    owner = session.scalar(select(Identity).where(Identity.kind == "email", Identity.address == row.email))
    merged_from = None
    if owner is not None:
        owner.verified = True
        if chat_customer is None:
            customers.add_identity(session, SYSTEM, owner.customer_id, "chat", visitor.address, verified=True)
        elif chat_customer != owner.customer_id:
            customers.merge(session, SYSTEM, chat_customer, owner.customer_id)
            merged_from = chat_customer
        customer_id = owner.customer_id
    elif chat_customer is None:
        customer_id = customers.create(
            session, SYSTEM, identities=[("chat", visitor.address), ("email", row.email)], name=visitor.name
        ).id
        session.execute(Identity.__table__.update().where(Identity.customer_id == customer_id).values(verified=True))
    else:
        customers.add_identity(session, SYSTEM, chat_customer, "email", row.email, verified=True)
        customer_id = chat_customer
    visitor.email, visitor.email_verified_at = row.email, now()
    record(
        session,
        "visitor.verified",
        SYSTEM,
        customer_id=customer_id,
        email=row.email,
        visitor_id=visitor.id,
        merged_from=merged_from,
    )
    if visitor.continue_by_email and visitor.conversation_id:
        _switched(session, repository.survivor(session, visitor.conversation_id), row.email, verified=True)
    return visitor


def _switched(session: Session, conv_id: int, address: str, *, verified: bool) -> None:
    conv = session.get(Conversation, conv_id)
    record(
        session,
        "conversation.channel_switched",
        SYSTEM,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        from_="chat",
        to="email",
        address=address,
        verified=verified,
    )
    if conv.status != "closed":
        state = "confirmed; reply with channel email" if verified else "waiting for them to confirm the address"
        conversations.add_note(
            session, SYSTEM, conv.id, text=f"The visitor asked to continue by email at {address} ({state})."
        )
