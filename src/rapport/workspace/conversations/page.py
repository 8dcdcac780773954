"""The workspace's conversation page: the whole timeline, the customer panel, the composer and its mentions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.conversations import attachments, composer, present, repository, service
from rapport.conversations import workspace_repository as queries
from rapport.conversations.fields import definitions, from_text
from rapport.conversations.mentions import handle
from rapport.conversations.reply_options import ReplyOptions, reply_options
from rapport.conversations.wording import describe
from rapport.customers import repository as customers
from rapport.inboxes import repository as inboxes
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.html import sanitize_bounded
from rapport.kit.problems import Invalid, TooLarge
from rapport.models import Conversation, Customer, Event, Identity, Message, SurveyHold
from rapport.models.enums import Channel, Priority, Status
from rapport.routing import repository as routing
from rapport.routing import service as routing_service
from rapport.sla import repository as clocks
from rapport.sla.present import ClockView, clock_views
from rapport.workspace.conversations.snoozing import Preset, presets

TIMELINE_LIMIT = 500
# Message events duplicate the messages themselves, which the timeline shows in full.
MESSAGE_EVENTS = {"message.received", "message.sent", "note.added", "message.delivery_changed"}
CHANNEL_ICONS = {
    "email": "✉",
    "chat": "💬",
    "sms": "📱",
    "whatsapp": "🟢",
    "phone": "☎",
    "portal": "🌐",
    "api": "⚙",
}


@dataclass
class Item:
    """One timeline entry: a message (with its attachments and safe body) or an event described in words."""

    at: datetime
    message: Message | None = None
    attachments: list | None = None
    body_html: str | None = None
    event: Event | None = None
    text: str = ""


@dataclass
class Repeat:
    """This conversation's place among the customer's recent ones ('3rd contact in 7 days')."""

    count: int
    days: int
    label: str


@dataclass
class ConversationPage:
    """What the conversation page shows; each fragment (timeline, header, panel) loads only its own part."""

    conv: Conversation
    customer: Customer
    items: list[Item] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    others: list = field(default_factory=list)
    repeat: Repeat | None = None
    agents: list = field(default_factory=list)  # light rows: id, name, email, active
    teams: list = field(default_factory=list)  # light rows: id, name
    tags: list[str] = field(default_factory=list)
    options: ReplyOptions | None = None
    fields: list = field(default_factory=list)
    inbox_name: str = ""
    assignee_name: str | None = None
    team_name: str | None = None
    category_name: str | None = None
    categories: list = field(default_factory=list)  # those offered: the active ones, and the conversation's own
    handles: list[tuple[str, str]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # every agent by id: who wrote each reply and note
    clocks: list[ClockView] = field(default_factory=list)  # the latest clock of each service target
    policy_name: str | None = None
    snooze: list[Preset] = field(default_factory=list)  # the Snooze control's presets
    signatures: list[composer.Signature] = field(default_factory=list)  # those an email reply ends with
    skills: list = field(default_factory=list)  # the declared skills the Skills control offers
    needs: dict[str, str] = field(default_factory=dict)  # skill name -> "required" or "preferred"
    survey_hold: SurveyHold | None = None  # "don't survey" on this conversation (surveys.holds)


def repeat_contact(session: Session, conv) -> Repeat | None:
    """The repeat-contact warning, by the same rule as the API (present.repeat_contact)."""
    found = present.repeat_contact(session, conv)
    return Repeat(found["ordinal"], found["days"], found["text"]) if found else None


PARTS = frozenset({"timeline", "head", "panel", "composer"})


def load(
    session: Session, actor: Actor, conversation_id: int, parts: frozenset[str] = PARTS, *, tz: str | None = None
) -> ConversationPage:
    """The conversation page's data, for an agent who may read conversations: every part, or only those named
    (a live refresh of the timeline reads no customer panel, and the other way round); deadlines in `tz`."""
    authorize(actor, "conversations.read")
    conv = repository.get(session, conversation_id)
    p = ConversationPage(conv=conv, customer=customers.get(session, conv.customer_id))
    everyone = queries.agent_rows(session)
    p.teams = queries.team_rows(session)
    team_names = {t.id: t.name for t in p.teams}
    p.names = {a.id: a.name for a in everyone}
    if "timeline" in parts:
        p.items = timeline_items(session, conv.id, p.names, team_names)
    if parts & {"head", "panel"}:
        p.tags = repository.tags_for(session, [conv.id])[conv.id]
        p.category_name = categories.names(session, [conv.category_id]).get(conv.category_id)
    # Held for the whole load: the session's identity map keeps only weak references, and the composer's reply
    # options and signatures look the inbox up again (session.get finds it only while someone holds it).
    inbox = inboxes.get(session, conv.inbox_id) if parts & {"head", "composer"} else None
    if "head" in parts:
        p.inbox_name = inbox.name
        p.assignee_name = next((a.name for a in everyone if a.id == conv.assignee_id), None)
        p.team_name = team_names.get(conv.team_id)
    if "panel" in parts:
        p.identities = customers.identities(session, [p.customer.id])[p.customer.id]
        p.others = [c for c in queries.customer_conversations(session, p.customer.id, limit=21) if c.id != conv.id][:20]
        p.repeat = repeat_contact(session, conv)
        p.agents = [a for a in everyone if a.active]
        p.fields = definitions(session)
        p.categories = [c for c in categories.listed(session) if c.active or c.id == conv.category_id]
        p.clocks = clock_views(clocks.current(session, conv.id), now=now(), tz=tz)
        p.policy_name = clocks.policy_name(session, conv.sla_policy_id)
        p.snooze = presets(now(), tz)
        p.skills = routing_service.skills(session, actor)
        row = routing.needs(session, conv.id) if p.skills else None  # no skill declared: none can be needed
        if row is not None:
            p.needs = dict.fromkeys(row.preferred_skills or (), "preferred") | dict.fromkeys(
                row.required_skills or (), "required"
            )
        p.survey_hold = session.get(SurveyHold, conv.id)
    if "composer" in parts:
        p.options = reply_options(session, actor, conv.id)
        p.handles = [(handle(a), a.name) for a in everyone if a.active and a.id != actor.id]
        p.signatures = composer.signatures(session, actor, conv.inbox_id)
    return p


def timeline_items(session: Session, conversation_id: int, names: dict[int, str], teams: dict[int, str]) -> list[Item]:
    """Messages (with attachments and safe bodies) and events described in words, in the order they happened."""
    messages = queries.all_messages(session, conversation_id, limit=TIMELINE_LIMIT)
    files = repository.attachments_for(session, [m.id for m in messages])
    events = queries.events_of(session, conversation_id, MESSAGE_EVENTS, limit=TIMELINE_LIMIT)
    items = [Item(m.created_at, message=m, attachments=files[m.id], body_html=safe_body(m)) for m in messages]
    items += [Item(e.occurred_at, event=e, text=describe(e, names, teams)) for e in events]
    items.sort(key=lambda i: (i.at, 0 if i.message else 1))
    return items


def safe_body(message: Message) -> str | None:
    """Stored HTML is sanitised on the way in; sanitising again on the way out costs little and trusts nothing.

    HTML over the bounds (stored before they existed) is not parsed again: the page shows the message's text.
    """
    if not message.body_html:
        return None
    try:
        return sanitize_bounded(message.body_html)
    except TooLarge:
        return None


def write(
    session: Session,
    actor: Actor,
    conversation_id: int,
    *,
    mode: str,
    text: str,
    channel: str | None = None,
    files: list[attachments.IncomingFile] | None = None,
    confirm_reply_to: str | None = None,
    formatted: bool = False,
    cc: str = "",
    bcc: str = "",
    signatures: frozenset[str] | None = None,
) -> Message:
    """Send a reply in a channel, or add an internal note (whose @mentions notify the agents named).

    `formatted`: the text is the composer's markup; `cc` and `bcc` are comma-separated addresses (email only);
    `signatures` the ones kept for an email reply (None: every one that applies).
    """
    if not text.strip() and not files:
        raise Invalid("Write something (or attach a file) before sending.", errors=[{"field": "text"}])
    body = {"markdown": text} if formatted else {"text": text}
    if mode == "note":
        if cc.strip() or bcc.strip():
            raise Invalid("An internal note goes to no one: clear Cc and Bcc.", errors=[{"field": "cc"}])
        return service.add_note(session, actor, conversation_id, files=files, **body)
    if mode != "reply":
        raise Invalid("Choose reply or note.", errors=[{"field": "mode"}])
    chosen = None
    if channel:
        if channel not in {c.value for c in Channel}:
            raise Invalid(f"'{channel}' is not a channel.", errors=[{"field": "channel"}])
        chosen = Channel(channel)
    if chosen is not None and chosen != Channel.email:
        cc = bcc = ""  # the Cc and Bcc fields are hidden for other channels: what they still hold is not sent
    return service.reply(
        session,
        actor,
        conversation_id,
        channel=chosen,
        files=files,
        confirm_reply_to=confirm_reply_to,
        cc=composer.split_addresses(cc),
        bcc=composer.split_addresses(bcc),
        signatures=signatures,
        **body,
    )


def apply_actions(session: Session, actor: Actor, conversation_id: int, form: dict[str, str]) -> Conversation:
    """The sidebar's form: status, priority, assignee, team, category, a tag to add or remove, custom fields."""
    if form.get("assign_me"):  # "Assign to me" changes the assignee alone, whatever else the form holds
        form = {"assignee_id": str(actor.id)}
    changes = service.Changes()
    if form.get("status"):
        changes.status = form["status"]
    if form.get("priority"):
        changes.priority = form["priority"]
    for key in ("assignee_id", "team_id"):
        if key in form:
            raw = form[key]
            if raw and not raw.isdigit():
                raise Invalid(f"Choose a {key[:-3]} from the list.", errors=[{"field": key}])
            setattr(changes, key, int(raw) if raw else None)
    if "category" in form:
        changes.category = form["category"].strip()[:100] or None  # a name from the list the panel offers
    if form.get("add_tag", "").strip():
        changes.add_tags = [form["add_tag"].strip()]
    if form.get("remove_tag", "").strip():
        changes.remove_tags = [form["remove_tag"].strip()]
    kinds = {d.key: d.kind for d in definitions(session)}
    values = {k[6:]: from_text(kinds.get(k[6:], "text"), v) for k, v in form.items() if k.startswith("field.")}
    if values:
        changes.fields = values
    if changes.status is not service.UNSET:
        if changes.status not in {s.value for s in Status}:
            raise Invalid("Choose a status from the list.", errors=[{"field": "status"}])
        changes.status = Status(changes.status)
    if changes.priority is not service.UNSET:
        if changes.priority not in {p.value for p in Priority}:
            raise Invalid("Choose a priority from the list.", errors=[{"field": "priority"}])
        changes.priority = Priority(changes.priority)
    return service.update(session, actor, conversation_id, changes)


NEEDS = ("", "required", "preferred")
SKILL_CHARS = 64  # a skill's name, as routing declares them


def apply_skills(session: Session, actor: Actor, conversation_id: int, form: dict[str, str]) -> None:
    """The Skills control: each declared skill not needed, required or preferred (`skill.<name>` in the form)."""
    chosen: dict[str, list[str]] = {"required": [], "preferred": []}
    for key, value in form.items():
        if not key.startswith("skill."):
            continue
        name = key.removeprefix("skill.")
        if len(name) > SKILL_CHARS or value not in NEEDS:
            raise Invalid(
                f"Choose not needed, required or preferred for each declared skill (names of up to {SKILL_CHARS}).",
                errors=[{"field": key[: SKILL_CHARS + 6]}],
            )
        if value:
            chosen[value].append(name)
    routing_service.set_needs(session, actor, conversation_id, **chosen)
