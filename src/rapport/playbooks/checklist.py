"""What the conversation page's checklist shows: each run with its steps in words, what the viewer may do on each,
and the playbooks that can be started."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.agents import repository as agents
from rapport.conversations import fields
from rapport.conversations import repository as conversations
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.models import Attachment, Message
from rapport.playbooks import present, service, templates

ATTACHMENTS_SHOWN = 50  # the newest attachments offered as evidence


def _owner(step: dict, teams: dict[int, str]) -> str:
    if step["owner"] == "team":
        return f"Team {teams.get(step['team_id'], '#' + str(step['team_id']))}"
    if step["owner"] == "role":
        return f"A {step['role']}"
    return "The assignee"


def build(session: Session, actor: Actor, conversation_id: int) -> dict:
    """The checklist's context for `actor` on one conversation."""
    conv = conversations.get(session, conversation_id)
    rows = service.runs_of(session, conv.id)
    runs = present.runs(session, rows)
    teams = {t.id: t.name for t in agents.all_teams(session)}
    names = {a.id: a.name for a in agents.all_agents(session)}
    labels = {d.key: d.label for d in fields.definitions(session)}
    running_templates = set()
    at = now()
    for run in runs:
        run["active"] = run["state"] == service.RUNNING
        if run["active"]:
            running_templates.add(run["template_id"])
        current = next((s["position"] for s in run["steps"] if s["state"] == service.OPEN), None)
        for step in run["steps"]:
            step["owner_words"] = _owner(step, teams)
            step["done_by"] = names.get(step["done_by_id"]) if step["done_by_id"] else None
            step["late"] = step["state"] == service.OPEN and step["due_at"] is not None and step["due_at"] <= at
            step["current"] = step["position"] == current
            step["field_label"] = labels.get(step["field"], step["field"]) if step["field"] else None
            step["may"] = run["active"] and step["state"] == service.OPEN and service.may_work(actor, conv, step)
        run["open_required"] = [s["title"] for s in run["steps"] if s["state"] == service.OPEN and s["required"]]
        run["guarding"] = run["active"] and run["blocks_solve"] and not run["override_at"] and run["open_required"]
        run["override_by"] = names.get(run["override_by_id"]) if run["override_by_id"] else None
    startable = [t for t in templates.listed(session, active_only=True) if t.id not in running_templates]
    files = session.execute(
        select(Attachment.id, Attachment.filename)
        .join(Message, Message.id == Attachment.message_id)
        .where(Message.conversation_id == conv.id)
        .order_by(Attachment.id.desc())
        .limit(ATTACHMENTS_SHOWN)
    ).all()
    return {
        "conv": conv,
        "runs": sorted(runs, key=lambda r: (not r["active"], -r["id"])),
        "startable": startable,
        "attachments": files,
        "can_start": actor.can("conversations.write"),
        "can_override": actor.can("playbooks.override"),
    }
