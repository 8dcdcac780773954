"""Writing one batch of customer records in bulk; a customer whose identity is known already is left alone."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.kit.clock import now
from rapport.transfer.conversations import CUSTOMER_COLUMNS, IDENTITY_COLUMNS
from rapport.transfer.records import CustomerSpec, canonical
from rapport.transfer.report import Outcome
from rapport.transfer.store import Store


def write(session: Session, specs: list[CustomerSpec]) -> Outcome:
    """Create the customers none of whose identities exist yet, with their identities and customer.created events."""
    store = Store.of(session)
    out = Outcome()
    owner = store.customers_by_identity({k for s in specs for k in s.identities})
    new: list[CustomerSpec] = []
    for spec in specs:
        if any(k in owner for k in spec.identities):
            out.counts["customer.existing"] += 1
            continue
        owner.update(dict.fromkeys(spec.identities, 0))
        new.append(spec)
    ids = store.ids("customers", len(new))
    ts, js, stamp = store.ts, store.json, canonical(now())
    customers, identities, events = [], [], []
    for cid, spec in zip(ids, new, strict=True):
        p = spec.profile
        created = spec.created_at or stamp
        updated = ts(spec.updated_at or created)
        customers.append((cid, p["name"], p["company"], p["language"], p["timezone"], p["segment"], p["vip"],
                          js(p["attributes"]), ts(created), updated))  # fmt: skip
        identities.extend((cid, kind, address, False, ts(created)) for kind, address in spec.identities)
        events.append(("customer.created", ts(created), "import", None, None, cid, None, "{}"))
    store.insert("customers", CUSTOMER_COLUMNS, customers)
    identity_ids = store.ids("identities", len(identities))
    store.insert("identities", IDENTITY_COLUMNS, [(i, *row) for i, row in zip(identity_ids, identities, strict=True)])
    event_ids = store.ids("events", len(events))
    store.insert(
        "events",
        (
            "id",
            "name",
            "occurred_at",
            "actor_kind",
            "actor_id",
            "conversation_id",
            "customer_id",
            "message_id",
            "payload",
        ),
        [(i, *row) for i, row in zip(event_ids, events, strict=True)],
    )
    out.counts["customer.created"] += len(customers)
    out.counts["event.created"] += len(events)
    return out
