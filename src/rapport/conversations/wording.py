"""Events in plain words for the conversation timeline: one sentence per registered event name.

Every name in `rapport.events.registry.EVENTS` has a sentence here (a test renders each); an event name added
later without one still reads as words ("Rapport: call recorded"), never as a raw payload or placeholder.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.models import Event

STATUS_WORDS = {"on_hold": "on hold"}
ADMIN_OBJECTS = {"webhook": "webhook endpoint", "field": "custom field", "token": "API token"}


def _value(value: object) -> str:
    if value is None or value == "":
        return "none"
    text = str(value)
    return STATUS_WORDS.get(text, text.replace("_", " "))


def _list(items: list) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _tags(who: str, p: dict, _: Context) -> str:
    added, removed = p.get("added") or [], p.get("removed") or []
    parts = ([f"added {'tag' if len(added) == 1 else 'tags'} {_list(added)}"] if added else []) + (
        [f"removed {'tag' if len(removed) == 1 else 'tags'} {_list(removed)}"] if removed else []
    )
    return f"{who} {' and '.join(parts) or 'left the tags as they were'}"


def _changed(noun: str) -> Callable[[str, dict, Context], str]:
    def say(who: str, p: dict, _: Context) -> str:
        old, new = p.get("from"), p.get("to")
        if old in (None, ""):
            return f"{who} set the {noun} to {_value(new)}"
        if new in (None, ""):
            return f"{who} cleared the {noun} (was {_value(old)})"
        return f"{who} changed the {noun} from {_value(old)} to {_value(new)}"

    return say


def _assigned(who: str, p: dict, c: Context) -> str:
    new = p.get("to")
    return f"{who} assigned it to {c.names.get(new, 'an agent')}" if new else f"{who} unassigned it"


def _team(who: str, p: dict, c: Context) -> str:
    new = p.get("to")
    return f"{who} moved it to team {c.teams.get(new, new)}" if new else f"{who} removed the team"


def _fields(who: str, p: dict, _: Context) -> str:
    changes = p.get("changes") or {}
    said = [
        f"{k.replace('_', ' ')} to {_value(v[1] if isinstance(v, list) and len(v) > 1 else v)}"
        for k, v in changes.items()
    ]
    return f"{who} set {_list(said)}" if said else f"{who} changed custom fields"


def _admin(verb: str) -> Callable[[str, dict, Context], str]:
    def say(who: str, p: dict, _: Context) -> str:
        noun = p.get("object") or "setting"
        return f"{who} {verb} {ADMIN_OBJECTS.get(noun, noun.replace('_', ' '))} #{p.get('object_id', '')}".rstrip(" #")

    return say


def _call(what: str) -> Callable[[str, dict, Context], str]:
    def say(who: str, p: dict, _: Context) -> str:
        extra = []
        if p.get("wait_seconds") is not None:
            extra.append(f"after waiting {_duration(p['wait_seconds'])}")
        if p.get("talk_seconds") is not None:
            extra.append(f"talked {_duration(p['talk_seconds'])}")
        return " ".join([f"Call {what}", *extra])

    return say


def _duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


class Context:
    """Names the sentences need: agents and teams by id."""

    def __init__(self, names: dict[int, str], teams: dict[int, str] | None = None):
        self.names, self.teams = names, teams or {}


SENTENCES: dict[str, Callable[[str, dict, Context], str]] = {
    "customer.created": lambda who, p, c: "Customer record created",
    "customer.updated": lambda who, p, c: f"{who} updated the customer's details",
    "customer.merged": lambda who, p, c: f"{who} merged customer #{p.get('source_id')} into #{p.get('target_id')}",
    "identity.added": lambda who, p, c: f"{who} added an identity to the customer",
    "identity.verified": lambda who, p, c: f"The customer confirmed an address (via {_value(p.get('via'))})",
    "conversation.created": lambda who, p, c: (
        f"New conversation created by {_value(p.get('channel'))}"
        + (f", following up #{p['follow_up_of']}" if p.get("follow_up_of") else "")
    ),
    "message.received": lambda who, p, c: f"Message received by {_value(p.get('channel'))}",
    "message.sent": lambda who, p, c: f"{who} sent a reply by {_value(p.get('channel'))}",
    "note.added": lambda who, p, c: f"{who} added an internal note",
    "message.delivery_changed": lambda who, p, c: (
        f"Delivery {_value(p.get('to'))}" + (f": {p['error']}" if p.get("error") else "")
    ),
    "conversation.status_changed": _changed("status"),
    "conversation.reopened": lambda who, p, c: (
        f"Reopened by the {_value(p.get('by'))}"
        + (f" (reopened {p['reopen_count']} times)" if (p.get("reopen_count") or 0) > 1 else "")
    ),
    "conversation.priority_changed": _changed("priority"),
    "conversation.assigned": _assigned,
    "conversation.team_changed": _team,
    "conversation.category_changed": _changed("category"),
    "conversation.subject_changed": _changed("subject"),
    "conversation.tags_changed": _tags,
    "conversation.fields_changed": _fields,
    "conversation.merged": lambda who, p, c: f"{who} merged #{p.get('source_id')} into #{p.get('target_id')}",
    "conversation.human_requested": lambda who, p, c: (
        f"The customer asked to talk to a person (by {_value(p.get('channel'))})"
    ),
    "conversation.human_answered": lambda who, p, c: f"{who} answered the request for a person",
    "conversation.sender_unverified": lambda who, p, c: (
        f"Unverified sender: the mail from {p.get('address') or 'this address'} may be forged"
        + (f" ({_value(p.get('reason'))})" if p.get("reason") else "")
    ),
    "call.queued": _call("queued"),
    "call.answered": _call("answered"),
    "call.abandoned": _call("abandoned by the caller"),
    "call.completed": _call("completed"),
    "call.recorded": _call("recorded"),
    "call.callback_requested": lambda who, p, c: "The caller asked to be called back",
    "callback.completed": lambda who, p, c: f"{who} marked the callback {_value(p.get('state'))}",
    "conversation.channel_switched": lambda who, p, c: (
        f"The customer moved from {_value(p.get('from'))} to "
        f"{_value(p.get('to'))}" + ("" if p.get("verified") else " (address not yet confirmed)")
    ),
    "visitor.verified": lambda who, p, c: "The chat visitor confirmed their email address",
    "agent.created": _admin("created"),
    "agent.updated": _admin("updated"),
    "team.created": _admin("created"),
    "team.updated": _admin("updated"),
    "inbox.created": _admin("created"),
    "inbox.updated": _admin("updated"),
    "field.defined": _admin("defined"),
    "field.updated": _admin("updated"),
    "agent.invited": _admin("invited"),
    "token.created": _admin("created"),
    "token.revoked": _admin("revoked"),
    "webhook.created": _admin("created"),
    "webhook.updated": _admin("updated"),
    "webhook.deleted": _admin("deleted"),
    "agent.signed_in": lambda who, p, c: f"{who} signed in",
    "agent.signed_out": lambda who, p, c: f"{who} signed out",
    "agent.mentioned": lambda who, p, c: f"{who} mentioned {c.names.get(p.get('agent_id'), 'an agent')}",
    "notification.created": lambda who, p, c: f"{c.names.get(p.get('agent_id'), 'An agent')} was notified",
    "customer.signed_in": lambda who, p, c: f"The customer signed in to the portal (via {_value(p.get('via'))})",
    "customer.signed_out": lambda who, p, c: "The customer signed out of the portal",
}


def who_did(event: Event, names: dict[int, str]) -> str:
    """The actor of an event as a person reads it."""
    if event.actor_kind == "agent":
        return names.get(event.actor_id, "An agent")
    return {"customer": "The customer", "system": "Rapport"}.get(event.actor_kind, event.actor_kind.capitalize())


def describe(event: Event, names: dict[int, str], teams: dict[int, str] | None = None) -> str:
    """An event in plain words for the timeline."""
    who = who_did(event, names)
    say = SENTENCES.get(event.name)
    if say is None:
        return f"{who}: {event.name.replace('.', ' ').replace('_', ' ')}"
    return say(who, event.payload or {}, Context(names, teams))
