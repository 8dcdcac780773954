"""The workspace's customer profile: identities, attributes, every conversation on every channel, the timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.agents import repository as agents
from rapport.config import get_settings
from rapport.conversations import workspace_repository as conversation_queries
from rapport.customers import repository, service
from rapport.customers.repository import Activity, Position
from rapport.customers.schemas import CustomerPatch
from rapport.events.registry import find
from rapport.events.wording import Context
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import cursor as cursors
from rapport.kit.problems import Invalid
from rapport.models import Customer, Event, Identity
from rapport.recognition.scores import PastAnswer, past_answers
from rapport.workspace.conversations.page import describe as describe_conversation_event

CONVERSATIONS_PAGE = 25
TIMELINE_PAGE = 50
_WHO = {"customer": "The customer", "system": "Rapport"}


@dataclass
class ConversationLine:
    """One of the customer's conversations, with every channel its messages used."""

    row: Row
    channels: list[str]


@dataclass
class Conversations:
    """A page of the customer's conversations and the cursor of the next (None at the end)."""

    lines: list[ConversationLine]
    next_cursor: str | None


@dataclass
class TimelineEntry:
    """An event of the customer's, in words, with the conversation it belongs to."""

    at: datetime
    text: str
    conversation_id: int | None


@dataclass
class Timeline:
    """A page of the customer's timeline, newest first, and where the next page starts (None at the end)."""

    entries: list[TimelineEntry]
    next_before: int | None


@dataclass
class Profile:
    """Everything the profile page shows."""

    customer: Customer
    identities: list[Identity]
    activity: Activity
    attributes: list[tuple[str, str]]
    conversations: Conversations
    timeline: Timeline
    merged_from: list[int]
    survey_answers: list[PastAnswer] = field(default_factory=list)


def load(session: Session, actor: Actor, customer_id: int) -> Profile:
    """The profile of a customer (a merged id gives the survivor's; the caller compares ids to say so)."""
    authorize(actor, "customers.read")
    customer = repository.get(session, customer_id)
    merged_from = repository.merged_sources(session, customer.id)
    return Profile(
        customer=customer,
        identities=repository.identities(session, [customer.id])[customer.id],
        activity=repository.activity(session, [customer.id])[customer.id],
        attributes=[(k, shown(v)) for k, v in sorted((customer.attributes or {}).items())],
        conversations=_conversations(session, customer.id, None),
        timeline=_timeline(session, [customer.id, *merged_from], None),
        merged_from=merged_from,
        survey_answers=past_answers(session, actor, [customer.id, *merged_from]),
    )


def conversations(session: Session, actor: Actor, customer_id: int, *, cursor: str | None) -> Conversations:
    """A further page of the customer's conversations."""
    authorize(actor, "customers.read")
    customer = repository.get(session, customer_id)
    return _conversations(session, customer.id, _position(cursor))


def timeline(session: Session, actor: Actor, customer_id: int, *, before: int | None) -> Timeline:
    """A further page of the customer's timeline (including the customers merged into them)."""
    authorize(actor, "customers.read")
    customer = repository.get(session, customer_id)
    return _timeline(session, [customer.id, *repository.merged_sources(session, customer.id)], before)


def edit(session: Session, actor: Actor, customer_id: int, form: dict[str, str]) -> Customer:
    """Apply the profile form (name, company, segment, language, timezone, VIP, attributes); every error named."""
    errors: dict[str, str] = {}
    changes: dict = {key: (form.get(key) or "").strip() or None for key in ("company", "segment", "language")}
    changes["name"] = (form.get("name") or "").strip()
    changes["vip"] = form.get("vip") == "on"
    timezone = (form.get("timezone") or "").strip()
    changes["timezone"] = timezone or None
    if timezone:
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError):
            errors["timezone"] = f"'{timezone}' is not a timezone name; use one like Europe/Berlin."
    try:
        changes["attributes"] = parse_attributes(form.get("attributes") or "")
    except ValueError as exc:
        errors["attributes"] = str(exc)
    if not errors:
        try:
            CustomerPatch.model_validate(changes)  # the API's rules, so both ways in agree
        except ValidationError as exc:
            for err in exc.errors():
                errors.setdefault(str(err["loc"][0]), _plain(err))
    if errors:
        raise Invalid(
            "Please correct the marked fields.", errors=[{"field": k, "message": v} for k, v in errors.items()]
        )
    return service.update_profile(session, actor, customer_id, **changes)


def form_values(customer: Customer) -> dict[str, str]:
    """The profile form's fields as they are now."""
    return {
        "name": customer.name or "",
        "company": customer.company or "",
        "segment": customer.segment or "",
        "language": customer.language or "",
        "timezone": customer.timezone or "",
        "vip": "on" if customer.vip else "",
        "attributes": attributes_text(customer.attributes),
    }


def shown(value: object) -> str:
    """An attribute value as typed in the form: text as is, anything that would read back differently as JSON."""
    if isinstance(value, str):
        try:
            _json(value)
        except ValueError:
            if value == value.strip() and "\n" not in value:
                return value
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def attributes_text(attributes: dict) -> str:
    """The attributes as the form's text: one 'name: value' a line."""
    return "\n".join(f"{k}: {shown(v)}" for k, v in sorted((attributes or {}).items()))


def parse_attributes(text: str) -> dict:
    """The form's 'name: value' lines as attributes; a value that reads as JSON (42, true, "x") keeps its type."""
    cap = get_settings().customer_attributes_max_chars
    if len(text) > cap:
        raise ValueError(
            f"The attributes are {len(text)} characters long; the limit is {cap} "
            "(RAPPORT_CUSTOMER_ATTRIBUTES_MAX_CHARS)."
        )
    out: dict = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, raw = line.partition(":")
        key = key.strip()
        if not colon or not key:
            raise ValueError(f"Line {number}: write each attribute as 'name: value'.")
        if len(key) > 64:
            raise ValueError(f"Line {number}: an attribute name has at most 64 characters.")
        if key in out:
            raise ValueError(f"Line {number}: '{key}' is named twice.")
        raw = raw.strip()
        try:
            out[key] = _json(raw)
        except ValueError:
            out[key] = raw
    return out


def _json(raw: str) -> object:
    # NaN and Infinity are not JSON; Python's parser would accept them and turn a word into a float.
    return json.loads(raw, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))


def _plain(err: dict) -> str:
    limit = (err.get("ctx") or {}).get("max_length")
    return f"At most {limit} characters." if limit else str(err.get("msg", "Not a valid value."))


def _conversations(session: Session, customer_id: int, after: Position | None) -> Conversations:
    rows = repository.conversations_of(session, customer_id, after=after, limit=CONVERSATIONS_PAGE + 1)
    more = len(rows) > CONVERSATIONS_PAGE
    rows = rows[:CONVERSATIONS_PAGE]
    channels = repository.message_channels(session, [r.id for r in rows])
    lines = [ConversationLine(r, channels[r.id] or [r.channel]) for r in rows]
    if not more:
        return Conversations(lines, None)
    return Conversations(lines, cursors.encode(["conversations", rows[-1].updated_at.isoformat(), rows[-1].id]))


def _position(cursor: str | None) -> Position | None:
    if not cursor:
        return None
    try:
        kind, at, conversation_id = cursors.decode(cursor)
        if kind != "conversations" or not isinstance(conversation_id, int):
            raise ValueError
        return datetime.fromisoformat(at), conversation_id
    except (ValueError, TypeError) as exc:
        raise Invalid("This page link is out of date; reload the profile.", errors=[{"field": "cursor"}]) from exc


def _timeline(session: Session, customer_ids: list[int], before: int | None) -> Timeline:
    events = repository.events_of(session, customer_ids, before=before, limit=TIMELINE_PAGE + 1)
    more = len(events) > TIMELINE_PAGE
    events = events[:TIMELINE_PAGE]
    names = conversation_queries.agent_names(session)
    teams = {t.id: t.name for t in agents.all_teams(session)}
    entries = [
        TimelineEntry(e.occurred_at, describe(e, names, teams), e.conversation_id)
        for e in events
        if not _merge_echo(e, customer_ids)
    ]
    return Timeline(entries, events[-1].id if more else None)


def _merge_echo(event: Event, customer_ids: list[int]) -> bool:
    # A merge is recorded on both customers; when both are shown here, the survivor's record says it once.
    p = event.payload or {}
    return (
        event.name == "customer.merged"
        and event.customer_id != p.get("target_id")
        and p.get("target_id") in customer_ids
    )


def describe(event: Event, names: dict[int, str], teams: dict[int, str]) -> str:
    """An event of the customer's timeline in plain words: its type's profile wording, else the conversation's."""
    declared = find(event.name)
    if declared is None or declared.on_profile is None:
        return describe_conversation_event(event, names, teams)
    agent = event.actor_kind == "agent"
    who = names.get(event.actor_id, "An agent") if agent else _WHO.get(event.actor_kind, "Rapport")
    return declared.on_profile(who, event.payload or {}, Context(names, teams))
