"""Previewing and applying a macro to one conversation.

The preview is exactly what applying would do (the reply and note with their placeholders filled in, the channel
the reply goes by, each field's value now and after) and writes nothing. Applying goes through the conversations
service as a typed reply and the sidebar's changes do, so delivery, the reply window, the lifecycle, permissions
and events work the same; it then records the use and a `macro.applied` event on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.config import get_settings
from rapport.conversations import repository as conversations
from rapport.conversations import service as writes
from rapport.conversations.fields import definitions
from rapport.conversations.reply_options import check_window, default_reply_channel
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import html as htmlkit
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid
from rapport.macros import events, placeholders, service
from rapport.macros.schemas import MacroChanges
from rapport.models import Agent, Conversation, Customer, Identity, Inbox, Macro, MacroUsage, Message, SurveyHold, Team
from rapport.models.enums import Status
from rapport.surveys import holds

LABELS = {
    "status": "Status",
    "priority": "Priority",
    "team": "Team",
    "assignee": "Assignee",
    "add_tags": "Tags added",
    "remove_tags": "Tags removed",
    "category": "Category",
    "no_survey": "Surveys",
}


@dataclass
class Change:
    """One field the macro changes on this conversation."""

    field: str
    label: str
    before: object = None
    after: object = None


@dataclass
class Plan:
    """What applying a macro to one conversation does."""

    macro: Macro
    conv: Conversation
    reply: str | None
    note: str | None
    channel: str | None
    changes: list[Change] = field(default_factory=list)
    update: writes.Changes | None = None  # the sidebar changes, status aside
    move_to: Status | None = None  # the status asked for (with the reply, else on its own)
    no_survey: bool = False  # mark the conversation "don't survey" (before any status change, so a solve skips it)


@dataclass
class Applied:
    """What applying a macro did."""

    plan: Plan
    usage: MacroUsage
    reply: Message | None
    note: Message | None


def written(text: str | None) -> dict | None:
    """A message as text and the escaped HTML the reply path stores for it."""
    return {"text": text, "html": htmlkit.text_to_html(text)} if text else None


def values(session: Session, actor: Actor, conv: Conversation) -> dict[str, str]:
    """Every placeholder's value for this conversation and agent."""
    customer = session.get(Customer, conv.customer_id)
    email = session.scalar(
        select(Identity.address)
        .where(Identity.customer_id == conv.customer_id, Identity.kind == "email")
        .order_by(Identity.id)
        .limit(1)
    )
    inbox = session.get(Inbox, conv.inbox_id)
    team = session.get(Team, conv.team_id) if conv.team_id else None
    name = customer.name if customer else ""
    found = {
        "customer.name": name,
        "customer.first_name": placeholders.first_name(name),
        "customer.email": email or "",
        "conversation.number": str(conv.id),
        "conversation.subject": conv.subject or "",
        "agent.name": actor.name,
        "agent.first_name": placeholders.first_name(actor.name),
        "inbox.name": inbox.name if inbox else "",
        "team.name": team.name if team else "",
    }
    for key, value in (conv.custom_fields or {}).items():
        found[f"{placeholders.FIELD_PREFIX}{key}"] = "" if value is None else str(value)
    return found


def _gone(macro: Macro, what: str) -> Conflict:
    return Conflict(f"The macro '{macro.name}' {what}; edit the macro before using it again.", macro_id=macro.id)


def plan(session: Session, actor: Actor, macro: Macro, conv: Conversation) -> Plan:
    """What `macro` would do to `conv` for `actor`: checked (closed, merged, references gone), nothing written."""
    if conv.status == Status.closed:
        raise Conflict(f"Conversation {conv.id} is closed; closed conversations are read-only.")
    if conv.merged_into_id:
        raise Conflict(f"Conversation {conv.id} was merged into {conv.merged_into_id}; use the macro there.")
    keys = [d.key for d in definitions(session)]
    for name in placeholders.names(macro.body) + placeholders.names(macro.note):
        if name.startswith(placeholders.FIELD_PREFIX) and name[len(placeholders.FIELD_PREFIX) :] not in keys:
            raise _gone(macro, f"uses the placeholder {{{{ {name} }}}}, whose custom field no longer exists")
    filled = values(session, actor, conv)
    reply = placeholders.render(macro.body, filled).strip() or None
    note = placeholders.render(macro.note, filled).strip() or None
    c = MacroChanges.model_validate(macro.changes or {})
    out = Plan(macro, conv, reply, note, default_reply_channel(session, conv) if reply else None)
    if out.channel:
        check_window(session, conv, out.channel)  # a reply the channel would refuse (WhatsApp's 24 hours) says so now
    update = writes.Changes()
    touched = False
    if c.priority is not None and c.priority.value != conv.priority:
        out.changes.append(Change("priority", LABELS["priority"], conv.priority, c.priority.value))
        update.priority, touched = c.priority, True
    if c.team_id is not None:
        team = session.get(Team, c.team_id)
        if team is None:
            raise _gone(macro, f"moves conversations to team {c.team_id}, which no longer exists")
        if team.id != conv.team_id:
            before = session.get(Team, conv.team_id).name if conv.team_id else None
            out.changes.append(Change("team", LABELS["team"], before, team.name))
            update.team_id, touched = team.id, True
    assignee_id = actor.id if c.assign_to_me and actor.kind == "agent" else c.assignee_id
    if assignee_id is not None and assignee_id != conv.assignee_id:
        agent = session.get(Agent, assignee_id)
        if agent is None or not agent.active:
            raise _gone(macro, f"assigns to agent {assignee_id}, who is no longer active")
        if assignee_id != actor.id:
            authorize(actor, "conversations.assign_others")
        before = session.get(Agent, conv.assignee_id).name if conv.assignee_id else None
        out.changes.append(Change("assignee", LABELS["assignee"], before, agent.name))
        update.assignee_id, touched = assignee_id, True
    have = set(conversations.tags_for(session, [conv.id])[conv.id])
    add, remove = sorted(set(c.add_tags) - have), sorted(set(c.remove_tags) & have)
    if add:
        out.changes.append(Change("add_tags", LABELS["add_tags"], None, add))
        update.add_tags, touched = add, True
    if remove:
        out.changes.append(Change("remove_tags", LABELS["remove_tags"], remove, None))
        update.remove_tags, touched = remove, True
    if c.category is not None:
        try:
            category_id = categories.resolve(session, c.category, current=conv.category_id)
        except Invalid:
            raise _gone(macro, f"files under the category '{c.category}', which is retired or gone") from None
        if category_id != conv.category_id:
            named = categories.names(session, [conv.category_id, category_id])
            out.changes.append(Change("category", LABELS["category"], named.get(conv.category_id), named[category_id]))
            update.category, touched = c.category, True
    if c.fields:
        missing = sorted(set(c.fields) - set(keys))
        if missing:
            raise _gone(macro, f"sets the custom field '{missing[0]}', which no longer exists")
        labels = {d.key: d.label for d in definitions(session)}
        current = conv.custom_fields or {}
        diff = {k: v for k, v in c.fields.items() if current.get(k) != v}
        for key, value in diff.items():
            out.changes.append(Change(f"fields.{key}", labels.get(key, key), current.get(key), value))
        if diff:
            update.fields, touched = diff, True
    if c.no_survey and session.get(SurveyHold, conv.id) is None:
        out.changes.append(Change("no_survey", LABELS["no_survey"], None, "don't survey"))
        out.no_survey = True
    out.update = update if touched else None
    status = c.status
    if status is not None and status.value != conv.status:
        out.move_to = status
        out.changes.insert(0, Change("status", LABELS["status"], conv.status, status.value))
    elif reply and conv.status == Status.new:  # a first reply opens a new conversation (the lifecycle)
        out.changes.insert(0, Change("status", LABELS["status"], conv.status, Status.open.value))
    return out


def preview(session: Session, actor: Actor, macro_id: int, conversation_id: int) -> Plan:
    """Exactly what applying the macro to the conversation would do; writes nothing."""
    authorize(actor, "conversations.read")
    macro = service.get(session, actor, macro_id)
    return plan(session, actor, macro, conversations.get(session, conversation_id))


def apply(session: Session, actor: Actor, macro_id: int, conversation_id: int) -> Applied:
    """Apply the macro: its changes, note and reply through the conversations service, then its use recorded.

    Any refusal (closed, a reply window shut, a team gone, a permission) raises before the caller's transaction
    commits, so nothing of it is kept.
    """
    authorize(actor, "conversations.write")
    macro = service.get(session, actor, macro_id)
    conv = conversations.get_for_update(session, conversation_id)
    p = plan(session, actor, macro, conv)
    if p.no_survey:  # first: a status change to solved below must already see it
        holds.set_hold(session, actor, conv.id, reason=f"by the macro '{macro.name}'", macro_id=macro.id)
    if p.update is not None:
        writes.update(session, actor, conv.id, p.update)
    note = writes.add_note(session, actor, conv.id, text=p.note) if p.note else None
    reply = None
    if p.reply:
        reply = writes.reply(session, actor, conv.id, text=p.reply, status=p.move_to)
    elif p.move_to is not None:
        writes.update(session, actor, conv.id, writes.Changes(status=p.move_to))
    stamp = now()
    usage = MacroUsage(
        macro_id=macro.id, conversation_id=conv.id, agent_id=actor.id if actor.kind == "agent" else None,
        message_id=reply.id if reply else None, applied_at=stamp,
        reopen_until=stamp + timedelta(days=get_settings().macro_reopen_days),
    )  # fmt: skip
    session.add(usage)
    session.flush()
    record(
        session, events.APPLIED.name, actor, conversation_id=conv.id, customer_id=conv.customer_id,
        macro_id=macro.id, macro=macro.name, usage_id=usage.id, reply_message_id=reply.id if reply else None,
        note_message_id=note.id if note else None, changed=[c.field for c in p.changes],
    )  # fmt: skip
    return Applied(p, usage, reply, note)
