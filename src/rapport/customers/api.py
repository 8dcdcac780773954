"""REST routes for customers."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.config import get_settings
from rapport.customers import repository, service
from rapport.customers.schemas import (
    CustomerIn,
    CustomerMergeIn,
    CustomerOut,
    CustomerPatch,
    IdentityIn,
    IdentityOut,
)
from rapport.events.schemas import EventOut
from rapport.kernel.permissions import authorize
from rapport.kit.problems import Invalid
from rapport.kit.schema import Id, Int, Limit, Page, Str
from rapport.models import Customer
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["customers"])


def present(session, rows: list[Customer]) -> list[CustomerOut]:
    """API shapes of customers with their identities."""
    idents = repository.identities(session, [c.id for c in rows])
    return [
        CustomerOut.model_validate(
            {
                **{k: getattr(c, k) for k in CustomerOut.model_fields if k != "identities"},
                "identities": [IdentityOut.model_validate(i) for i in idents[c.id]],
            }
        )
        for c in rows
    ]


@router.get("/customers", dependencies=[requires("read")], response_model=Page[CustomerOut])
def list_customers(
    session: DB,
    actor: Me,
    segment: Str | None = None,
    email: Str | None = None,
    cursor: Int | None = None,
    limit: Limit = 50,
):
    """Customers, newest first; filter by segment or exact email."""
    authorize(actor, "customers.read")
    cap = get_settings().max_page_size
    if not 1 <= limit <= cap:
        raise Invalid(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE).", errors=[{"field": "limit"}])
    rows = repository.page(session, after=cursor, limit=limit + 1, segment=segment, email=email)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=present(session, rows), next_cursor=str(rows[-1].id) if more else None)


@router.post("/customers", dependencies=[requires("write")], response_model=CustomerOut, status_code=201)
def create_customer(body: CustomerIn, session: DB, actor: Me):
    """Create a customer with identities."""
    data = body.model_dump(exclude={"identities"})
    customer = service.create(session, actor, identities=[(i.kind.value, i.address) for i in body.identities], **data)
    return present(session, [customer])[0]


@router.get("/customers/{customer_id}", dependencies=[requires("read")], response_model=CustomerOut)
def get_customer(customer_id: Id, session: DB, actor: Me):
    """One customer (a merged id leads to the surviving customer)."""
    authorize(actor, "customers.read")
    return present(session, [repository.get(session, customer_id)])[0]


@router.patch("/customers/{customer_id}", dependencies=[requires("write")], response_model=CustomerOut)
def patch_customer(customer_id: Id, body: CustomerPatch, session: DB, actor: Me):
    """Change profile fields."""
    customer = service.update_profile(session, actor, customer_id, **body.model_dump(exclude_unset=True))
    return present(session, [customer])[0]


@router.post(
    "/customers/{customer_id}/identities", dependencies=[requires("write")], response_model=IdentityOut, status_code=201
)
def add_identity(customer_id: Id, body: IdentityIn, session: DB, actor: Me):
    """Add an identity; 409 when it belongs to another customer."""
    return service.add_identity(session, actor, customer_id, body.kind.value, body.address, verified=body.verified)


@router.post("/customers/{customer_id}/merge", dependencies=[requires("write")], response_model=CustomerOut)
def merge_customer(customer_id: Id, body: CustomerMergeIn, session: DB, actor: Me):
    """Merge this customer into `into_id`; identities and conversations move."""
    target = service.merge(session, actor, customer_id, body.into_id)
    session.flush()
    return present(session, [target])[0]


@router.get("/customers/{customer_id}/timeline", dependencies=[requires("read")], response_model=Page[EventOut])
def customer_timeline(customer_id: Id, session: DB, actor: Me, before: Int | None = None, limit: Limit = 100):
    """The customer's events across every conversation and channel, newest first."""
    authorize(actor, "customers.read")
    customer = repository.get(session, customer_id)
    limit = max(1, min(limit, get_settings().max_page_size))
    rows = repository.timeline(session, customer.id, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=[EventOut.model_validate(e) for e in rows], next_cursor=str(rows[-1].id) if more else None)
