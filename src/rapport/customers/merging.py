"""Merging two customers from the workspace: find the other one, see both side by side, then merge."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from rapport.customers import directory, repository, service
from rapport.customers.directory import CustomerRow
from rapport.kernel.permissions import PERMISSIONS, Actor, authorize
from rapport.kit.problems import Conflict, Invalid
from rapport.models import Customer

KEEP = ("this", "other")


@dataclass
class MergePlan:
    """The two customers of a merge, as the confirmation shows them."""

    this: CustomerRow
    other: CustomerRow


def refusal(actor: Actor) -> str | None:
    """Why this agent may not merge customers, in plain words; None when they may."""
    if actor.can("customers.merge"):
        return None
    return f"Merging customers needs the {PERMISSIONS['customers.merge'].value} role; ask a supervisor."


def candidates(session: Session, actor: Actor, customer_id: int, *, q: str) -> list[CustomerRow]:
    """Customers matching `q` that this one could be merged with (itself left out)."""
    authorize(actor, "customers.merge")
    customer = repository.get(session, customer_id)
    if not q.strip():
        return []
    return [row for row in directory.listing(session, actor, q=q).rows if row.customer.id != customer.id]


def plan(session: Session, actor: Actor, customer_id: int, other_id: int) -> MergePlan:
    """Both customers side by side, before anything changes; Conflict when they are already one."""
    authorize(actor, "customers.merge")
    this = repository.get(session, customer_id)
    other = repository.get(session, other_id)
    if this.id == other.id:
        raise Conflict(f"Customers {customer_id} and {other_id} are already one customer ({this.id}).")
    found = directory.rows(session, [this.id, other.id])
    return MergePlan(found[0], found[1])


def merge(session: Session, actor: Actor, customer_id: int, other_id: int, *, keep: str) -> Customer:
    """Merge the two; `keep` says whose profile survives ('this' customer or the 'other'). Returns the survivor."""
    if keep not in KEEP:
        raise Invalid("Choose which customer to keep.", errors=[{"field": "keep"}])
    source, target = (other_id, customer_id) if keep == "this" else (customer_id, other_id)
    return service.merge(session, actor, source, target)
