"""Every customer query."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kit.problems import NotFound
from rapport.models import Customer, Event, Identity


def get(session: Session, customer_id: int) -> Customer:
    """The customer, following merges; NotFound when there is none."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.")
    while customer.merged_into_id:
        customer = session.get(Customer, customer.merged_into_id)
    return customer


def by_identity(session: Session, kind: str, address: str) -> Customer | None:
    """The customer owning an (already normalised) identity."""
    row = session.execute(
        select(Customer)
        .join(Identity, Identity.customer_id == Customer.id)
        .where(Identity.kind == kind, Identity.address == address)
    ).scalar_one_or_none()
    return row


def identities(session: Session, customer_ids: list[int]) -> dict[int, list[Identity]]:
    """Identities of several customers in one query."""
    out: dict[int, list[Identity]] = {cid: [] for cid in customer_ids}
    if customer_ids:
        rows = session.scalars(select(Identity).where(Identity.customer_id.in_(customer_ids)).order_by(Identity.id))
        for ident in rows:
            out[ident.customer_id].append(ident)
    return out


def page(
    session: Session, *, after: int | None, limit: int, segment: str | None = None, email: str | None = None
) -> list[Customer]:
    """Customers by id, newest first, optionally by segment or exact email."""
    query = select(Customer).where(Customer.merged_into_id.is_(None))
    if segment:
        query = query.where(Customer.segment == segment)
    if email:
        query = query.join(Identity, Identity.customer_id == Customer.id).where(
            Identity.kind == "email", Identity.address == email.strip().lower()
        )
    if after is not None:
        query = query.where(Customer.id < after)
    return list(session.scalars(query.order_by(Customer.id.desc()).limit(limit)))


def timeline(session: Session, customer_id: int, *, before: int | None, limit: int) -> list[Event]:
    """The customer's events across conversations and channels, newest first."""
    query = select(Event).where(Event.customer_id == customer_id)
    if before is not None:
        query = query.where(Event.id < before)
    return list(session.scalars(query.order_by(Event.id.desc()).limit(limit)))
