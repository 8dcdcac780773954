"""Queries and small writes on the email tables: mailbox positions and leases, receipts and the quarantine."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from rapport.db.bulk import dialect_insert
from rapport.kit.clock import now
from rapport.models import EmailMailbox, EmailReceipt, Inbox

B = EmailMailbox.__table__.c


def mailbox(session: Session, inbox_id: int, name: str) -> EmailMailbox:
    """The mailbox's position row, created at UID 0 the first time."""
    session.execute(
        dialect_insert(session, EmailMailbox)
        .values(inbox_id=inbox_id, mailbox=name, uidvalidity=None, last_uid=0, updated_at=now())
        .on_conflict_do_nothing(index_elements=["inbox_id", "mailbox"])
    )
    return session.get(EmailMailbox, (inbox_id, name), populate_existing=True)


def take_lease(session: Session, inbox_id: int, name: str, owner: str, *, seconds: float) -> bool:
    """Take or renew the right to fetch this mailbox; False while another live fetcher holds it."""
    mailbox(session, inbox_id, name)
    stamp = now()
    taken = session.execute(
        update(EmailMailbox)
        .where(
            B.inbox_id == inbox_id,
            B.mailbox == name,
            or_(B.lease_owner.is_(None), B.lease_owner == owner, B.lease_until < stamp),
        )
        .values(lease_owner=owner, lease_until=stamp + timedelta(seconds=seconds))
    )
    return taken.rowcount == 1


def release_lease(session: Session, inbox_id: int, name: str, owner: str) -> None:
    """Give the lease back (only if still ours)."""
    session.execute(
        update(EmailMailbox)
        .where(B.inbox_id == inbox_id, B.mailbox == name, B.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


def advance(session: Session, inbox_id: int, position) -> None:
    """Record that the mailbox is stored up to `position` (in the batch's own transaction)."""
    session.execute(
        update(EmailMailbox)
        .where(B.inbox_id == inbox_id, B.mailbox == position.mailbox)
        .values(uidvalidity=position.uidvalidity, last_uid=position.last_uid, updated_at=now())
    )


def reset(session: Session, inbox_id: int, name: str, uidvalidity: int) -> None:
    """The server renumbered the mailbox (a new UIDVALIDITY): start again from UID 0; dedupe keeps repeats out."""
    session.execute(
        update(EmailMailbox)
        .where(B.inbox_id == inbox_id, B.mailbox == name)
        .values(uidvalidity=uidvalidity, last_uid=0, updated_at=now())
    )


def email_inboxes(session: Session) -> list[Inbox]:
    """Active email inboxes."""
    return list(session.scalars(select(Inbox).where(Inbox.channel == "email", Inbox.active.is_(True))))


def quarantine(
    session: Session,
    *,
    limit: int,
    before_id: int | None = None,
    inbox_id: int | None = None,
    reason: str | None = None,
) -> list[EmailReceipt]:
    """Quarantined mail, newest first, a page at a time (keyset on id)."""
    query = select(EmailReceipt).where(EmailReceipt.outcome == "quarantined")
    if before_id is not None:
        query = query.where(EmailReceipt.id < before_id)
    if inbox_id is not None:
        query = query.where(EmailReceipt.inbox_id == inbox_id)
    if reason is not None:
        query = query.where(EmailReceipt.reason == reason)
    return list(session.scalars(query.order_by(EmailReceipt.id.desc()).limit(limit)))


def receipt(session: Session, receipt_id: int) -> EmailReceipt | None:
    """One receipt."""
    return session.get(EmailReceipt, receipt_id)
