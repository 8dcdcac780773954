"""The events of rules: edits (admin changes) and what each run did, worded for the conversation's timeline."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Payload, declare
from rapport.events.wording import admin, listed


class Executed(Payload):
    """A rule fired: which rule and version, the tests that held, the actions done (in words), its event cycle."""

    rule_id: int
    rule: str
    version: int
    kind: str
    event_id: int | None = None
    matched: list[dict] = []
    actions: list[str] = []
    cycle_id: int | None = None
    depth: int = 0


class Failed(Payload):
    """A rule failed at run time: nothing it did was kept, and the events went on."""

    rule_id: int
    rule: str
    version: int
    event_id: int | None = None
    error: str


class Stopped(Payload):
    """A rule was stopped from firing again in a cascade: `loop` (it already fired in this cycle) or `depth`."""

    rule_id: int
    rule: str
    version: int
    event_id: int | None = None
    reason: str
    depth: int
    limit: int | None = None


class Notified(Payload):
    """A rule told an agent about the conversation."""

    rule_id: int
    rule: str
    agent_id: int
    text: str = ""


class WebhookCalled(Payload):
    """A rule called an outgoing webhook endpoint (the delivery carries this event)."""

    rule_id: int
    rule: str
    endpoint_id: int
    version: int


def _executed(who: str, p: dict, _) -> str:
    done = p.get("actions") or []
    return f"Rule “{p.get('rule')}” (v{p.get('version')}) ran: " + (listed(done) if done else "nothing to do")


def _stopped(who: str, p: dict, _) -> str:
    if p.get("reason") == "depth":
        return (
            f"Rule “{p.get('rule')}” was stopped: the cascade reached its limit of {p.get('limit')} "
            "(RAPPORT_RULES_MAX_CASCADE)"
        )
    return f"Rule “{p.get('rule')}” was stopped: it already ran in this chain of changes (a loop between rules)"


CREATED = declare("rule.created", AdminChange, admin("created"))
UPDATED = declare("rule.updated", AdminChange, admin("updated"))
EXECUTED = declare("rule.executed", Executed, _executed)
FAILED = declare(
    "rule.failed",
    Failed,
    lambda who, p, c: f"Rule “{p.get('rule')}” (v{p.get('version')}) failed and was skipped: {p.get('error')}",
)
STOPPED = declare("rule.stopped", Stopped, _stopped)
NOTIFIED = declare(
    "rule.notified",
    Notified,
    lambda who, p, c: f"Rule “{p.get('rule')}” notified {c.names.get(p.get('agent_id'), 'an agent')}",
    notifies="rule",
    private_push=True,
)
WEBHOOK_CALLED = declare(
    "rule.webhook_called",
    WebhookCalled,
    lambda who, p, c: f"Rule “{p.get('rule')}” called webhook endpoint #{p.get('endpoint_id')}",
)
