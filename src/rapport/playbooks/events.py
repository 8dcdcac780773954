"""The events of playbooks: template edits (admin changes) and what runs do on conversations (the timeline)."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Payload, declare
from rapport.events.wording import admin


class RunEvent(Payload):
    """A run started, completed or was cancelled (with why), or a supervisor overrode its solve guard."""

    run_id: int
    template_id: int
    playbook: str
    version: int
    reason: str = ""


class StepEvent(Payload):
    """A step of a run was completed, skipped or found overdue."""

    run_id: int
    template_id: int
    playbook: str
    position: int
    title: str
    evidence: str | None = None
    reason: str = ""
    due_at: str | None = None


def _why(p: dict) -> str:
    return f" ({p['reason']})" if p.get("reason") else ""


TEMPLATE_CREATED = declare("playbook_template.created", AdminChange, admin("created"))
TEMPLATE_UPDATED = declare("playbook_template.updated", AdminChange, admin("updated"))
STARTED = declare(
    "playbook.started", RunEvent, lambda who, p, c: f"{who} started the playbook {p['playbook']}{_why(p)}"
)
COMPLETED = declare("playbook.completed", RunEvent, lambda who, p, c: f"Playbook {p['playbook']} completed")
CANCELLED = declare(
    "playbook.cancelled", RunEvent, lambda who, p, c: f"{who} cancelled the playbook {p['playbook']}{_why(p)}"
)
OVERRIDDEN = declare(
    "playbook.overridden",
    RunEvent,
    lambda who, p, c: f"{who} allowed solving with steps of {p['playbook']} open{_why(p)}",
)
STEP_COMPLETED = declare(
    "playbook.step_completed",
    StepEvent,
    lambda who, p, c: f"{who} completed “{p['title']}” ({p['playbook']})",
)
STEP_SKIPPED = declare(
    "playbook.step_skipped", StepEvent, lambda who, p, c: f"{who} skipped “{p['title']}” ({p['playbook']}){_why(p)}"
)
STEP_OVERDUE = declare(
    "playbook.step_overdue", StepEvent, lambda who, p, c: f"Step “{p['title']}” of {p['playbook']} is overdue"
)
