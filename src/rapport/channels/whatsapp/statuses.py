"""Delivery statuses from Meta (sent, delivered, read, failed): kept once, applied to our outbound message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from rapport.channels.whatsapp import repository
from rapport.conversations import delivery
from rapport.kit.clock import now
from rapport.models import Message, WhatsAppStatus
from rapport.models.enums import DeliveryStatus

# Statuses can arrive out of order (read before delivered); a message only moves forward, and failed wins
# unless the customer has already read it.
RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


@dataclass
class StatusReport:
    """One entry of a webhook's `statuses[]`."""

    inbox_id: int
    wamid: str
    status: str
    occurred_at: datetime
    error: str | None = None


def receive(session: Session, report: StatusReport) -> None:
    """Keep the report once (replays are no-ops) and apply it if the message is already known."""
    if report.status not in (*RANK, "failed") or repository.status_exists(
        session, report.inbox_id, report.wamid, report.status
    ):
        return
    session.add(
        WhatsAppStatus(
            inbox_id=report.inbox_id,
            wamid=report.wamid,
            status=report.status,
            error=(report.error or None) and report.error[:500],
            occurred_at=report.occurred_at,
            created_at=now(),
        )
    )
    session.flush()
    message = repository.message_by_wamid(session, report.inbox_id, report.wamid)
    if message is not None:
        apply(session, message, report.status, report.error)


def apply_waiting(session: Session, message: Message, inbox_id: int, wamid: str) -> None:
    """Apply statuses Meta reported before the sender had stored the wamid."""
    for row in repository.stored_statuses(session, inbox_id, wamid):
        apply(session, message, row.status, row.error)


def apply(session: Session, message: Message, status: str, error: str | None = None) -> bool:
    """Move the message's delivery status forward and record message.delivery_changed; False when no move."""
    old = message.delivery_status or DeliveryStatus.queued.value
    if status == DeliveryStatus.failed.value:
        if old in (DeliveryStatus.failed.value, DeliveryStatus.read.value):
            return False
    elif old == DeliveryStatus.failed.value or RANK.get(status, -1) <= RANK.get(old, -1):
        return False
    delivery.set_status(session, message, status, error=error)
    return True
