"""Creating, changing and merging customers; every call authorised and evented."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rapport.customers import repository
from rapport.customers.identities import normalise
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.headers import one_line
from rapport.kit.problems import Conflict
from rapport.models import Conversation, Customer, Identity, Message

PROFILE_FIELDS = ("name", "company", "language", "timezone", "segment", "vip", "attributes")
# Shown on pages and written into mail headers: one line, no control characters (CR, LF, NUL …).
_ONE_LINE = ("name", "company", "language", "timezone", "segment")


def _clean(profile: dict[str, Any]) -> dict[str, Any]:
    return {k: one_line(v) if k in _ONE_LINE and isinstance(v, str) else v for k, v in profile.items()}


def create(session: Session, actor: Actor, *, identities: list[tuple[str, str]], **profile: Any) -> Customer:
    """A new customer with its identities; Conflict when an identity already belongs to someone."""
    authorize(actor, "customers.write")
    profile = _clean(profile)
    stamp = now()
    customer = Customer(created_at=stamp, updated_at=stamp, attributes={}, vip=False)
    for key in PROFILE_FIELDS:
        if profile.get(key) is not None:
            setattr(customer, key, profile[key])
    session.add(customer)
    session.flush()
    for kind, address in identities:
        _attach(session, customer, kind, normalise(kind, address), verified=False)
    record(session, "customer.created", actor, customer_id=customer.id)
    return customer


def update_profile(session: Session, actor: Actor, customer_id: int, **changes: Any) -> Customer:
    """Change profile fields; unchanged values write nothing."""
    authorize(actor, "customers.write")
    customer = repository.get(session, customer_id)
    changes = _clean(changes)
    changed = {k: v for k, v in changes.items() if k in PROFILE_FIELDS and getattr(customer, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(customer, key, value)
        customer.updated_at = now()
        record(
            session,
            "customer.updated",
            actor,
            customer_id=customer.id,
            object="customer",
            object_id=customer.id,
            fields=changed,
        )
    return customer


def add_identity(
    session: Session, actor: Actor, customer_id: int, kind: str, address: str, *, verified: bool = False
) -> Identity:
    """Give a customer another way to reach them; Conflict when it is someone else's."""
    authorize(actor, "customers.write")
    customer = repository.get(session, customer_id)
    return _attach(session, customer, kind, normalise(kind, address), verified=verified, actor=actor)


def _attach(
    session: Session,
    customer: Customer,
    kind: str,
    address: str,
    *,
    verified: bool,
    actor: Actor | None = None,
) -> Identity:
    owner = session.scalar(select(Identity).where(Identity.kind == kind, Identity.address == address))
    if owner is not None:
        if owner.customer_id == customer.id:
            return owner
        raise Conflict(
            f"The {kind} identity '{address}' belongs to customer {owner.customer_id}; "
            "merge the two customers instead.",
            customer_id=owner.customer_id,
        )
    ident = Identity(customer_id=customer.id, kind=kind, address=address, verified=verified, created_at=now())
    session.add(ident)
    session.flush()
    if actor is not None:
        record(
            session,
            "identity.added",
            actor,
            customer_id=customer.id,
            object="identity",
            object_id=ident.id,
            fields={"kind": kind, "address": address},
        )
    return ident


def merge(session: Session, actor: Actor, source_id: int, target_id: int) -> Customer:
    """Fold customer `source_id` into `target_id`: identities, conversations and messages move."""
    authorize(actor, "customers.merge")
    source = repository.get(session, source_id)
    target = repository.get(session, target_id)
    if source.id == target.id:
        raise Conflict("A customer cannot be merged into itself.")
    session.execute(update(Identity).where(Identity.customer_id == source.id).values(customer_id=target.id))
    session.execute(update(Conversation).where(Conversation.customer_id == source.id).values(customer_id=target.id))
    session.execute(update(Message).where(Message.customer_id == source.id).values(customer_id=target.id))
    for key in ("company", "language", "timezone", "segment"):
        if getattr(target, key) is None and getattr(source, key) is not None:
            setattr(target, key, getattr(source, key))
    target.name = target.name or source.name
    target.vip = target.vip or source.vip
    target.attributes = {**(source.attributes or {}), **(target.attributes or {})}
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = now()
    for cid in (source.id, target.id):
        record(session, "customer.merged", actor, customer_id=cid, source_id=source.id, target_id=target.id)
    return target
