"""The demo's rules: ten realistic ones (events, business-time waits, counts) acting on its live traffic."""

from __future__ import annotations

from sqlalchemy import select

from rapport.db.session import Database
from rapport.demo.playbooks import TASK_FOLLOW_UP, TASK_THANK_YOU
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, BusinessCalendar, PlaybookTemplate, Rule
from rapport.rules import service

OPEN_NOW = ["new", "open"]
BUSINESS_DAY = 10 * 60  # the London office's weekday, in minutes


def _task(template_id: int | None) -> list[dict]:
    return [{"type": "start_playbook", "params": {"template_id": template_id}}] if template_id else []


def _rules(office: int, supervisors: list[int], tasks: dict[str, int]) -> list[tuple[str, str, dict]]:
    follow_up = [{"type": "notify", "params": {"agent_ids": supervisors, "text": "Third contact this week"}}]
    return [
        ("Refund requests are flagged", "event", {
            "events": ["message.received"],
            "conditions": {"field": "message.text", "op": "matches", "value": r"\brefund(s|ed)?\b"},
            "actions": [{"type": "set_priority", "params": {"priority": "high"}},
                        {"type": "tags", "params": {"add": ["refund"]}}]}),
        ("Urgent words raise the priority", "event", {
            "events": ["message.received"],
            "conditions": {"field": "message.text", "op": "matches", "value": r"\b(urgent|asap|immediately)\b"},
            "actions": [{"type": "set_priority", "params": {"priority": "urgent"}}]}),
        ("Out of hours: say when we are back", "event", {
            "events": ["conversation.created"],
            "conditions": {"all": [{"field": "business_hours", "op": "closed", "value": office},
                                   {"field": "channel", "op": "eq", "value": "email"}]},
            "actions": [{"type": "reply", "params": {"text": (
                "Hello {{customer.name}}, thank you for writing. Our team is back at 08:00 (London time) and will "
                "answer conversation #{{conversation.number}} then.")}}]}),
        ("A breached target makes it urgent", "event", {
            "events": ["sla.breached"],
            "actions": [{"type": "set_priority", "params": {"priority": "urgent"}},
                        {"type": "tags", "params": {"add": ["breached"]}}]}),
        ("3rd contact in 7 days: supervisor follow-up", "count", {
            "events": ["conversation.created"],
            "count": {"per": "customer", "window_days": 7, "nth": 3},
            "actions": [{"type": "tags", "params": {"add": ["repeat-contact"]}},
                        {"type": "add_note", "params": {"text": (
                            "{{customer.name}} has contacted us three times this week: a supervisor follows up.")}},
                        *_task(tasks.get(TASK_FOLLOW_UP)),
                        *(follow_up if supervisors else [])]}),
        ("Every 10th conversation of a VIP: personal thank-you", "count", {
            "events": ["conversation.created"],
            "conditions": {"field": "vip", "op": "eq", "value": True},
            "count": {"per": "customer", "every": 10},
            "actions": [{"type": "tags", "params": {"add": ["thank-you"]}},
                        {"type": "add_note", "params": {"text": (
                            "{{customer.name}} opened their conversation #{{conversation.number}} with us: "
                            "a personal thank-you is due.")}},
                        *_task(tasks.get(TASK_THANK_YOU))]}),
        ("2nd reopen: senior review", "count", {
            "events": ["conversation.reopened"],
            "count": {"per": "conversation", "nth": 2},
            "actions": [{"type": "set_priority", "params": {"priority": "high"}},
                        {"type": "tags", "params": {"add": ["reopened-twice"]}}]}),
        ("Unanswered for 2 business hours", "time", {
            "events": ["message.received"],
            "delay": {"minutes": 120, "business": True, "calendar_id": office},
            "conditions": {"all": [{"field": "status", "op": "in", "value": OPEN_NOW},
                                   {"field": "first_reply_at", "op": "is_not_set"}]},
            "actions": [{"type": "set_priority", "params": {"priority": "high"}},
                        {"type": "tags", "params": {"add": ["waiting-long"]}}]}),
        ("Pending for 3 business days: remind", "time", {
            "events": ["conversation.status_changed"],
            "conditions": {"all": [{"field": "event.to", "op": "eq", "value": "pending"},
                                   {"field": "status", "op": "eq", "value": "pending"}]},
            "delay": {"minutes": 3 * BUSINESS_DAY, "business": True, "calendar_id": office},
            "actions": [{"type": "reply", "params": {"text": (
                "Hello {{customer.name}}, we are still here for conversation #{{conversation.number}}: do you need "
                "anything else from us?")}}]}),
        ("Pending for 5 business days: solve", "time", {
            "events": ["conversation.status_changed"],
            "conditions": {"all": [{"field": "event.to", "op": "eq", "value": "pending"},
                                   {"field": "status", "op": "eq", "value": "pending"}]},
            "delay": {"minutes": 5 * BUSINESS_DAY, "business": True, "calendar_id": office},
            "actions": [{"type": "add_note", "params": {"text": "No answer for five business days: solved."}},
                        {"type": "set_status", "params": {"status": "solved"}}]}),
    ]  # fmt: skip


def ensure_rules(db: Database) -> bool:
    """Add the demo's rules unless there are rules already (and the office calendar exists); True when added."""
    with db.write() as s:
        if s.scalar(select(Rule.id).limit(1)) is not None:
            return False
        office = s.scalar(select(BusinessCalendar.id).where(BusinessCalendar.name == "London office"))
        if office is None:
            return False
        supervisors = list(s.scalars(select(Agent.id).where(Agent.role == "supervisor", Agent.active.is_(True))))
        named = (TASK_FOLLOW_UP, TASK_THANK_YOU)
        tasks = dict(
            s.execute(select(PlaybookTemplate.name, PlaybookTemplate.id).where(PlaybookTemplate.name.in_(named))).all()
        )
        for name, kind, definition in _rules(office, supervisors[:5], tasks):
            service.create(s, SYSTEM, name=name, kind=kind, definition_=definition)
    return True
