"""The events of conversations and their messages: what each carries, how the timeline says it, who hears of it."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ConfigDict

from rapport.events.registry import AdminChange, Changed, Payload, declare
from rapport.events.wording import Context, admin, changed, listed, value


class ConversationCreated(Payload):
    """A conversation was opened."""

    channel: str
    inbox_id: int
    subject: str = ""
    follow_up_of: int | None = None


class MessageAdded(Payload):
    """A message (inbound, outbound or note) was appended."""

    direction: str
    channel: str
    external_id: str | None = None


class DeliveryChanged(Changed):
    """An outbound message's delivery status moved; `error` says why when it failed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    error: str | None = None


class TagsChanged(Payload):
    """Tags were added or removed."""

    added: list[str] = []
    removed: list[str] = []


class FieldsChanged(Payload):
    """Custom field values changed: key -> [old, new]."""

    changes: dict[str, list]


class Merged(Payload):
    """Two conversations became one."""

    source_id: int
    target_id: int


class Reopened(Payload):
    """A solved conversation was reopened."""

    reopen_count: int
    by: str


class HumanRequested(Payload):
    """The customer asked to talk to a person."""

    channel: str
    via: str


class Snoozed(Payload):
    """The conversation was snoozed (hidden from the working views) until `until`; its status is kept."""

    until: datetime
    previous: datetime | None = None  # it was already snoozed until then


class Woke(Payload):
    """A snoozed conversation came back to the working views: its time came, the customer wrote, or an agent
    unsnoozed it (`by`: time, customer, agent)."""

    until: datetime
    by: str


class Mentioned(Payload):
    """An agent was @mentioned in a note; their live topic hears of it."""

    agent_id: int


def _tags(who: str, p: dict, _: Context) -> str:
    added, removed = p.get("added") or [], p.get("removed") or []
    parts = ([f"added {'tag' if len(added) == 1 else 'tags'} {listed(added)}"] if added else []) + (
        [f"removed {'tag' if len(removed) == 1 else 'tags'} {listed(removed)}"] if removed else []
    )
    return f"{who} {' and '.join(parts) or 'left the tags as they were'}"


def _assigned(who: str, p: dict, c: Context) -> str:
    new = p.get("to")
    return f"{who} assigned it to {c.names.get(new, 'an agent')}" if new else f"{who} unassigned it"


def _team(who: str, p: dict, c: Context) -> str:
    new = p.get("to")
    return f"{who} moved it to team {c.teams.get(new, new)}" if new else f"{who} removed the team"


def _fields(who: str, p: dict, _: Context) -> str:
    changes = p.get("changes") or {}
    said = [
        f"{k.replace('_', ' ')} to {value(v[1] if isinstance(v, list) and len(v) > 1 else v)}"
        for k, v in changes.items()
    ]
    return f"{who} set {listed(said)}" if said else f"{who} changed custom fields"


def _when(raw: object) -> str:
    try:
        return datetime.fromisoformat(str(raw)).astimezone(UTC).strftime("%-d %b %Y %H:%M UTC")
    except ValueError:
        return str(raw)


def _woke(who: str, p: dict, _: Context) -> str:
    by = p.get("by")
    if by == "customer":
        return "Woke from snooze: the customer wrote"
    if by == "agent":
        return f"{who} unsnoozed it"
    return f"Woke from snooze (snoozed until {_when(p.get('until'))})"


def _previous_assignee(p: dict) -> list[str]:
    return [f"agent:{p['from']}"] if p.get("from") else []  # the previous assignee sees it leave


def _human_queue(p: dict) -> list[str]:
    return ["queue:human"]


CREATED = declare(
    "conversation.created",
    ConversationCreated,
    lambda who, p, c: (
        f"New conversation created by {value(p.get('channel'))}"
        + (f", following up #{p['follow_up_of']}" if p.get("follow_up_of") else "")
    ),
    on_profile=lambda who, p, c: f"Started a conversation by {p.get('channel', '')}",
)
MESSAGE_RECEIVED = declare(
    "message.received",
    MessageAdded,
    lambda who, p, c: f"Message received by {value(p.get('channel'))}",
    customer_sees=True,
    carries_message=True,
    notifies="customer_replied",
    on_profile=lambda who, p, c: f"Wrote by {p.get('channel', '')}",
)
MESSAGE_SENT = declare(
    "message.sent",
    MessageAdded,
    lambda who, p, c: f"{who} sent a reply by {value(p.get('channel'))}",
    customer_sees=True,
    carries_message=True,
    on_profile=lambda who, p, c: f"{who} replied by {p.get('channel', '')}",
)
NOTE_ADDED = declare(
    "note.added",
    MessageAdded,
    lambda who, p, c: f"{who} added an internal note",
    carries_message=True,
)
DELIVERY_CHANGED = declare(
    "message.delivery_changed",
    DeliveryChanged,
    lambda who, p, c: f"Delivery {value(p.get('to'))}" + (f": {p['error']}" if p.get("error") else ""),
)
STATUS_CHANGED = declare("conversation.status_changed", Changed, changed("status"))
REOPENED = declare(
    "conversation.reopened",
    Reopened,
    lambda who, p, c: (
        f"Reopened by the {value(p.get('by'))}"
        + (f" (reopened {p['reopen_count']} times)" if (p.get("reopen_count") or 0) > 1 else "")
    ),
)
PRIORITY_CHANGED = declare("conversation.priority_changed", Changed, changed("priority"))
ASSIGNED = declare("conversation.assigned", Changed, _assigned, topics=_previous_assignee, notifies="assigned")
TEAM_CHANGED = declare("conversation.team_changed", Changed, _team)
CATEGORY_CHANGED = declare("conversation.category_changed", Changed, changed("category"))
SUBJECT_CHANGED = declare("conversation.subject_changed", Changed, changed("subject"))
TAGS_CHANGED = declare("conversation.tags_changed", TagsChanged, _tags)
FIELDS_CHANGED = declare("conversation.fields_changed", FieldsChanged, _fields)
MERGED = declare(
    "conversation.merged",
    Merged,
    lambda who, p, c: f"{who} merged #{p.get('source_id')} into #{p.get('target_id')}",
)
HUMAN_REQUESTED = declare(
    "conversation.human_requested",
    HumanRequested,
    lambda who, p, c: f"The customer asked to talk to a person (by {value(p.get('channel'))})",
    topics=_human_queue,
)
HUMAN_ANSWERED = declare(
    "conversation.human_answered",
    Changed,
    lambda who, p, c: f"{who} answered the request for a person",
    topics=_human_queue,
)
SNOOZED = declare(
    "conversation.snoozed",
    Snoozed,
    lambda who, p, c: f"{who} snoozed it until {_when(p.get('until'))}",
)
# The assignee (or, unassigned, the team's members) is told when it wakes, unless the customer's own message woke
# it: that message notifies them already.
WOKE = declare("conversation.woke", Woke, _woke, notifies="woke")
MENTIONED = declare(
    "agent.mentioned",
    Mentioned,
    lambda who, p, c: f"{who} mentioned {c.names.get(p.get('agent_id'), 'an agent')}",
    topics=lambda p: [f"agent:{p['agent_id']}"],  # the mentioned agent hears of it wherever they are
    notifies="mentioned",
)
FIELD_DEFINED = declare("field.defined", AdminChange, admin("defined"))
FIELD_UPDATED = declare("field.updated", AdminChange, admin("updated"))
