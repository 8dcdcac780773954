"""Email for a chat visitor: a code mailed to the address, typed into the same chat; then the chat joins that email's
customer.

Until the code is typed the visitor stays anonymous and reads only their current chat; once it is, their chat
identity belongs to the customer who owns the address (merged into them, or the address attached), so the
history from other channels appears. Only the browser that asked can finish: the code goes to the mailbox and must
come back through the visitor's own token, so a victim who merely opens the mail grants nothing to the chat of
someone who typed their address. A code is single use, expires (RAPPORT_CHAT_VERIFY_CODE_MINUTES), allows
RAPPORT_CHAT_VERIFY_MAX_ATTEMPTS wrong tries, and each one costs a mail from the per-address and per-client limits.
Asking to continue by email is noted on the conversation for the agent.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rapport.channels.chat import repository
from rapport.config import get_settings
from rapport.conversations import service as conversations
from rapport.customers import service as customers
from rapport.customers.identities import normalise
from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM
from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, TooManyRequests
from rapport.kit.secrets import new_token, token_hash
from rapport.mail.mailer import send_system_mail
from rapport.models import ChatVerification, ChatVisitor, Conversation, Identity, Inbox


class WrongCode(Invalid):
    """A code that does not match; the try is counted (the caller commits it)."""


def request(
    session: Session, visitor: ChatVisitor, *, email: str, continue_by_email: bool, client: str
) -> ChatVerification:
    """Mail a confirmation code for this visitor to type into their chat (any earlier code stops working)."""
    address = normalise("email", email)
    settings = get_settings()
    allowance = ratelimit.limit_mail(session, to=address, client=client)
    stamp = now()
    session.execute(
        update(ChatVerification)
        .where(ChatVerification.visitor_id == visitor.id, ChatVerification.used_at.is_(None))
        .values(expires_at=stamp)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    salt = token_hash(new_token("rcm"))
    row = ChatVerification(
        visitor_id=visitor.id,
        token_hash=salt,
        code_hash=_code_hash(salt, code),
        email=address,
        attempts=0,
        expires_at=stamp + timedelta(minutes=settings.chat_verify_code_minutes),
        created_at=stamp,
    )
    session.add(row)
    session.flush()
    visitor.email = address
    visitor.continue_by_email = visitor.continue_by_email or continue_by_email
    site = _site(session.get(Inbox, visitor.inbox_id))
    also = " and to continue their chat by email" if continue_by_email else ""
    send_system_mail(
        session,
        allowance=allowance,
        to=address,
        subject="Your confirmation code",
        text=(
            f"Someone using the chat on {site} gave this address and asked to see your conversation history with "
            f"us{also}.\n\n"
            f"Your code: {code}\n\n"
            "Enter this code in that chat only if it was you. Whoever types it there can read all your conversations "
            "with us (by email, chat and every other way you reached us) and answer in them. "
            f"It works once, for {settings.chat_verify_code_minutes} minutes.\n\n"
            "If it was not you, ignore this mail: without the code nothing is shown to anyone. "
            "Never give this code to anyone, not even to our staff."
        ),
        key=f"chat-verify:{row.id}",
    )
    if continue_by_email and visitor.conversation_id:
        conv_id = repository.survivor(session, visitor.conversation_id)
        _switched(session, conv_id, address, verified=False)
    return row


def confirm(session: Session, visitor: ChatVisitor, *, code: str) -> ChatVisitor:
    """The code the visitor typed: the chat identity joins the email's customer; WrongCode (counted) if it differs."""
    settings = get_settings()
    row = repository.pending_verification(session, visitor.id)
    if row is None:
        raise Conflict("No confirmation is waiting for this chat; give your email address again to get a code.")
    if row.expires_at <= now():
        raise Conflict("This code has expired; give your email address again to get a new one.")
    limit = settings.chat_verify_max_attempts
    if row.attempts >= limit:
        raise TooManyRequests(
            f"Too many wrong codes: {limit} tries per code (RAPPORT_CHAT_VERIFY_MAX_ATTEMPTS). "
            "Give your email address again to get a new code.",
            limit=limit,
            setting="RAPPORT_CHAT_VERIFY_MAX_ATTEMPTS",
        )
    typed = "".join(code.split())
    if not hmac.compare_digest(row.code_hash.encode(), _code_hash(row.token_hash, typed).encode()):
        row.attempts += 1
        left = limit - row.attempts
        raise WrongCode(
            f"That is not the code we mailed to {row.email}; {left} tries left (RAPPORT_CHAT_VERIFY_MAX_ATTEMPTS).",
            errors=[{"field": "code", "message": "That is not the code we mailed."}],
            tries_left=left,
            setting="RAPPORT_CHAT_VERIFY_MAX_ATTEMPTS",
        )
    row.used_at = now()
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


def _code_hash(salt: str, code: str) -> str:
    return token_hash(f"{salt}:{code}")


def _site(inbox: Inbox | None) -> str:
    """Where the chat runs, in the mail's words: the inbox's first allowed site, else this Rapport's host."""
    origins = [str(o) for o in ((inbox.settings or {}).get("allowed_origins") or []) if o != "*"] if inbox else []
    return urlsplit(origins[0] if origins else get_settings().base_url).netloc or "our website"
