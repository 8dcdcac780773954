"""Every WhatsApp query: inboxes by phone number id, known wamids, waiting statuses, the customer's last message."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.models import Identity, Inbox, Message, WhatsAppStatus
from rapport.models.enums import Channel, Direction, IdentityKind


def whatsapp_settings(session: Session) -> list[tuple[int, dict]]:
    """Every active WhatsApp inbox's id and settings, as committed now (what each webhook checks against)."""
    rows = session.execute(
        select(Inbox.id, Inbox.settings)
        .where(Inbox.channel == Channel.whatsapp.value, Inbox.active.is_(True))
        .order_by(Inbox.id)
    )
    return [(r.id, r.settings or {}) for r in rows]


def known_wamids(session: Session, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (inbox id, wamid) pairs are already stored as messages."""
    if not pairs:
        return set()
    rows = session.execute(
        select(Message.inbox_id, Message.external_id).where(
            Message.inbox_id.in_({i for i, _ in pairs}), Message.external_id.in_({w for _, w in pairs})
        )
    )
    return {(r.inbox_id, r.external_id) for r in rows} & pairs


def message_by_wamid(session: Session, inbox_id: int, wamid: str) -> Message | None:
    """Our outbound message Meta knows by this wamid."""
    return session.scalars(
        select(Message).where(Message.inbox_id == inbox_id, Message.external_id == wamid).with_for_update()
    ).first()


def stored_statuses(session: Session, inbox_id: int, wamid: str) -> list[WhatsAppStatus]:
    """Statuses reported for a wamid, oldest first."""
    return list(
        session.scalars(
            select(WhatsAppStatus)
            .where(WhatsAppStatus.inbox_id == inbox_id, WhatsAppStatus.wamid == wamid)
            .order_by(WhatsAppStatus.occurred_at, WhatsAppStatus.id)
        )
    )


def status_exists(session: Session, inbox_id: int, wamid: str, status: str) -> bool:
    """True when this status was already recorded (a replayed webhook)."""
    return (
        session.scalar(
            select(WhatsAppStatus.id).where(
                WhatsAppStatus.inbox_id == inbox_id, WhatsAppStatus.wamid == wamid, WhatsAppStatus.status == status
            )
        )
        is not None
    )


def last_inbound(session: Session, customer_id: int) -> Message | None:
    """The customer's latest inbound WhatsApp message, in any conversation."""
    return session.scalars(
        select(Message)
        .where(
            Message.customer_id == customer_id,
            Message.direction == Direction.inbound.value,
            Message.channel == Channel.whatsapp.value,
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()


def whatsapp_addresses(session: Session, customer_id: int) -> list[str]:
    """The customer's WhatsApp identities."""
    return list(
        session.scalars(
            select(Identity.address)
            .where(Identity.customer_id == customer_id, Identity.kind == IdentityKind.whatsapp.value)
            .order_by(Identity.id)
        )
    )
