"""The events of service targets: policy edits (admin changes) and what clocks did (the timeline and rules read
these; metrics count them)."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Payload, declare
from rapport.events.wording import admin, value


class ClockEvent(Payload):
    """A clock of one target changed state: which target, under which policy, and its deadline."""

    target: str
    policy_id: int
    clock_id: int
    due_at: str | None = None
    reason: str | None = None
    late_seconds: int | None = None
    measured_seconds: int | None = None


class PolicyApplied(Payload):
    """The policy that applies to the conversation changed (None: no policy matches any more)."""

    policy_id: int | None = None
    previous_id: int | None = None
    policy: str | None = None
    reason: str = ""


def _label(p: dict) -> str:
    return value(p.get("target")).capitalize()


POLICY_CREATED = declare("sla_policy.created", AdminChange, admin("created"))
POLICY_UPDATED = declare("sla_policy.updated", AdminChange, admin("updated"))
APPLIED = declare(
    "sla.applied",
    PolicyApplied,
    lambda who, p, c: (
        (f"Policy {value(p.get('policy'))} sets the service targets" if p.get("policy_id") else "No service policy")
        + (f" ({p['reason']})" if p.get("reason") else "")
    ),
)
WARNED = declare("sla.warned", ClockEvent, lambda who, p, c: f"{_label(p)} target due soon")
BREACHED = declare("sla.breached", ClockEvent, lambda who, p, c: f"{_label(p)} target breached")
MET = declare("sla.met", ClockEvent, lambda who, p, c: f"{_label(p)} target met")
PAUSED = declare(
    "sla.paused",
    ClockEvent,
    lambda who, p, c: f"{_label(p)} clock paused" + (f" ({value(p.get('reason'))})" if p.get("reason") else ""),
)
RESUMED = declare("sla.resumed", ClockEvent, lambda who, p, c: f"{_label(p)} clock resumed")
