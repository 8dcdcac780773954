"""Clock rows made by hand, as the clock engine would leave them: a calendar and its version, a policy and its
version, conversations with their deadline, clocks in any state (the read side is tested on its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport.kit.calendar_spec import Calendar
from rapport.models import (
    BusinessCalendar,
    CalendarVersion,
    Conversation,
    Customer,
    SlaClock,
    SlaPolicy,
    SlaPolicyVersion,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Policy:
    """A business-hours calendar (24/7 in Europe/Paris, so business time is easy to check) and a policy on it.

    The policy is switched off: these tests write clock rows themselves, so the runtime must not start its own on
    the conversations they create (the read side shows clocks whatever their policy's switch says).
    """

    def __init__(self, s, name: str = "Standard") -> None:
        cal = BusinessCalendar(name=f"{name} hours", created_at=T0, updated_at=T0)
        s.add(cal)
        s.flush()
        spec = Calendar.always_open("Europe/Paris").to_dict()
        self.calendar_version = CalendarVersion(calendar_id=cal.id, effective_from=T0, spec=spec, created_at=T0)
        self.policy = SlaPolicy(name=name, position=1, active=False, created_at=T0, updated_at=T0)
        s.add_all([self.calendar_version, self.policy])
        s.flush()
        targets = [{"kind": "first_reply", "seconds": 14400, "business": True, "calendar_id": cal.id}]
        self.version = SlaPolicyVersion(
            policy_id=self.policy.id, effective_from=T0, condition={"all": []}, targets=targets, created_at=T0
        )
        s.add(self.version)
        s.flush()


def conversation(s, inbox_id: int, *, due: datetime | None = None, policy: Policy | None = None, **fields) -> int:
    """An active conversation (its customer made for it) with the nearest deadline `due`; returns its id."""
    customer = Customer(name=fields.pop("customer", "Jo Customer"), attributes={}, created_at=T0, updated_at=T0)
    s.add(customer)
    s.flush()
    at = fields.pop("at", T0)
    values = {"subject": "Order", "status": "open", "channel": "email", "custom_fields": {}} | fields
    conv = Conversation(
        inbox_id=inbox_id,
        customer_id=customer.id,
        sla_due_at=due,
        sla_policy_id=policy.policy.id if policy else None,
        created_at=at,
        updated_at=at,
        **values,
    )
    s.add(conv)
    s.flush()
    return conv.id


def clock(s, policy: Policy, conversation_id: int, *, target: str = "first_reply", state: str = "running", **fields):
    """A clock in `state`; business time on the policy's calendar unless `calendar_version_id=None` is given."""
    values = {
        "target_seconds": 14400,
        "calendar_version_id": policy.calendar_version.id,
        "started_at": T0,
        "spent_seconds": 0,
        "detail": {},
        "updated_at": T0,
    } | fields
    row = SlaClock(
        conversation_id=conversation_id, policy_version_id=policy.version.id, target=target, state=state, **values
    )
    s.add(row)
    s.flush()
    return row


def minutes(n: float) -> timedelta:
    """n minutes."""
    return timedelta(minutes=n)
