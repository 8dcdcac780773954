"""Every portal query: the portal inbox, verified emails, links, sessions, a customer's conversations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rapport.models import Conversation, Customer, Identity, Inbox, Message, PortalLink, PortalSession
from rapport.models.enums import Channel, Direction, IdentityKind


def portal_inbox(session: Session) -> Inbox | None:
    """The active inbox the portal's requests go to (the oldest portal inbox)."""
    return session.scalars(
        select(Inbox).where(Inbox.channel == Channel.portal.value, Inbox.active.is_(True)).order_by(Inbox.id).limit(1)
    ).first()


def verified_email_owner(session: Session, address: str) -> int | None:
    """The customer holding this verified email identity, if any."""
    return session.scalar(
        select(Identity.customer_id).where(
            Identity.kind == IdentityKind.email.value, Identity.address == address, Identity.verified.is_(True)
        )
    )


def email_identity(session: Session, address: str) -> Identity | None:
    """The email identity with this address, verified or not."""
    return session.scalars(
        select(Identity).where(Identity.kind == IdentityKind.email.value, Identity.address == address)
    ).first()


def verified_email_of(session: Session, customer_id: int) -> str | None:
    """One verified email address of the customer (the sender identity of their portal replies)."""
    return session.scalar(
        select(Identity.address)
        .where(
            Identity.customer_id == customer_id,
            Identity.kind == IdentityKind.email.value,
            Identity.verified.is_(True),
        )
        .order_by(Identity.id)
        .limit(1)
    )


def surviving_customer(session: Session, customer_id: int) -> int:
    """Follow merges to the customer that absorbed this one."""
    seen = set()
    while customer_id not in seen:
        seen.add(customer_id)
        merged = session.scalar(select(Customer.merged_into_id).where(Customer.id == customer_id))
        if not merged:
            return customer_id
        customer_id = merged
    return customer_id


def link_by_hash(session: Session, digest: str, *, lock: bool = False) -> PortalLink | None:
    """A sign-in link by the SHA-256 of its token."""
    query = select(PortalLink).where(PortalLink.token_hash == digest)
    return session.scalars(query.with_for_update() if lock else query).first()


def session_by_hash(session: Session, digest: str, at: datetime) -> PortalSession | None:
    """A live customer session by the SHA-256 of its cookie."""
    return session.scalars(
        select(PortalSession).where(PortalSession.token_hash == digest, PortalSession.expires_at > at)
    ).first()


def end_session(session: Session, session_id: int) -> None:
    """Delete a customer session."""
    session.execute(delete(PortalSession).where(PortalSession.id == session_id))


def conversations_of(session: Session, customer_id: int, *, limit: int) -> list[Conversation]:
    """The customer's conversations, most recently updated first."""
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id, Conversation.merged_into_id.is_(None))
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(limit)
        )
    )


def visible_messages(session: Session, conversation_id: int, customer_id: int, *, limit: int) -> list[Message]:
    """The newest messages a customer may read (theirs and agents' replies, never internal notes), oldest first."""
    rows = list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction.in_((Direction.inbound.value, Direction.outbound.value)),
                # Only messages from and to this customer, whatever conversation they ended up in (a merge).
                Message.customer_id == customer_id,
            )
            .order_by(Message.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return rows
