"""The import format's records: parsing one JSON object into a checked spec, with errors naming the field."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rapport.customers.identities import normalise
from rapport.kit import html as htmlkit
from rapport.kit.problems import Invalid, TooLarge
from rapport.models.enums import Channel, DeliveryStatus, Direction, FieldKind, IdentityKind, Priority, Role, Status

CHANNELS = frozenset(c.value for c in Channel)
STATUSES = frozenset(s.value for s in Status)
PRIORITIES = frozenset(p.value for p in Priority)
DIRECTIONS = frozenset(d.value for d in Direction)
DELIVERY = frozenset(d.value for d in DeliveryStatus)
IDENTITY_KINDS = frozenset(k.value for k in IdentityKind)

# fmt: off
CONVERSATION_KEYS = frozenset(
    (
        "type", "ref", "customer", "customer_name", "inbox", "channel", "subject", "status", "priority", "assignee",
        "team", "category", "tags", "fields", "created_at", "updated_at", "solved_at", "closed_at", "messages",
    )
)
MESSAGE_KEYS = frozenset(
    (
        "id", "direction", "channel", "author", "text", "html", "created_at", "meta", "delivery_status",
    )
)
MESSAGE_LINE_KEYS = MESSAGE_KEYS | {"type", "conversation"}
CUSTOMER_KEYS = frozenset(
    (
        "type", "name", "company", "language", "timezone", "segment", "vip", "attributes", "identities", "created_at",
        "updated_at",
    )
)
AGENT_KEYS = frozenset(("type", "email", "name", "role", "skills", "timezone", "active", "teams"))
TEAM_KEYS = frozenset(("type", "name", "description"))
INBOX_KEYS = frozenset(("type", "name", "channel", "address", "team", "settings", "active"))
FIELD_KEYS = frozenset(("type", "key", "label", "kind", "options", "required"))
# fmt: on


class RecordError(ValueError):
    """A record that cannot be imported; the message names the field and what is wrong with it."""


@dataclass(slots=True)
class MessageSpec:
    """One checked message; references (author) are resolved when its batch is written."""

    direction: str
    channel: str | None
    author: str | None
    text: str
    html: str | None
    created_at: str  # canonical UTC, see canonical()
    external_id: str | None
    meta: dict
    delivery_status: str | None
    line: int = 0
    agent_id: int | None = None


@dataclass(slots=True)
class ConversationSpec:
    """One checked conversation (or, with append_only, messages for one already imported)."""

    line: int
    ref: str
    messages: list[MessageSpec]
    append_only: bool = False
    identities: list[tuple[str, str]] = field(default_factory=list)
    customer_name: str = ""
    inbox: str | None = None
    channel: str | None = None
    subject: str = ""
    status: str | None = None
    priority: str = "normal"
    assignee: str | None = None
    team: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict = field(default_factory=dict)
    created_at: str | None = None  # times are canonical UTC strings, see canonical()
    updated_at: str | None = None
    solved_at: str | None = None
    closed_at: str | None = None


@dataclass(slots=True)
class CustomerSpec:
    """One checked customer with its normalised identities."""

    line: int
    identities: list[tuple[str, str]]
    profile: dict[str, Any]
    created_at: str | None
    updated_at: str | None


def canonical(stamp: datetime) -> str:
    """A datetime as the importer carries times: UTC 'YYYY-MM-DD HH:MM:SS.ffffff', which sorts as it reads."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    elif stamp.tzinfo is not UTC:
        stamp = stamp.astimezone(UTC)
    return stamp.isoformat(" ", "microseconds")[:26]


def parse_time(value: Any, name: str) -> str:
    """An ISO 8601 timestamp in canonical form; one without an offset is taken as UTC."""
    try:
        stamp = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise RecordError(
            f"{name}: {value!r} is not an ISO 8601 timestamp (for example 2026-05-01T09:30:00Z)"
        ) from None
    if stamp.tzinfo is UTC:
        # Already UTC, as exports and most feeds write it: rearranging the text is cheaper than formatting.
        size = len(value)
        if (size == 25 and value[19:] == "+00:00") or (size == 20 and value[19] == "Z"):
            return f"{value[:10]} {value[11:19]}.000000"
        if value[19:20] == "." and ((size == 32 and value[26:] == "+00:00") or (size == 27 and value[26] == "Z")):
            return f"{value[:10]} {value[11:26]}"
    return canonical(stamp)


def _time_or_none(obj: dict, key: str, prefix: str = "") -> str | None:
    value = obj.get(key)
    return None if value is None or value == "" else parse_time(value, prefix + key)


def _text(obj: dict, key: str, limit: int, *, required: bool = False, default: str | None = None) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise RecordError(f"{key}: is required")
        return default
    if not isinstance(value, str):
        raise RecordError(f"{key}: expected a string, got {value!r}")
    if len(value) > limit:
        raise RecordError(f"{key}: has {len(value)} characters; the limit is {limit}")
    return value


def _choice(obj: dict, key: str, allowed: frozenset[str], default: str | None = None) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise RecordError(f"{key}: '{value}' is not one of {', '.join(sorted(allowed))}")
    return value


def _mapping(obj: dict, key: str) -> dict:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{key}: expected an object, got {type(value).__name__}")
    return value


def _strings(obj: dict, key: str, limit: int = 200) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= limit for v in value):
        raise RecordError(f"{key}: expected a list of strings of at most {limit} characters")
    return value


def _check_keys(obj: dict, allowed: frozenset[str], prefix: str = "") -> None:
    unknown = obj.keys() - allowed
    if unknown:
        raise RecordError(f"{prefix}{sorted(unknown)[0]}: unknown field; known fields are {', '.join(sorted(allowed))}")


def identity(value: Any, name: str) -> tuple[str, str]:
    """A normalised (kind, address) from 'kind:address', e.g. 'email:jo@example.com' or 'phone:+14155550100'."""
    if not isinstance(value, str) or ":" not in value:
        raise RecordError(f"{name}: expected 'kind:address' such as 'email:jo@example.com', got {value!r}")
    kind, address = value.split(":", 1)
    if kind not in IDENTITY_KINDS:
        raise RecordError(f"{name}: identity kind '{kind}' is not one of {', '.join(sorted(IDENTITY_KINDS))}")
    try:
        return kind, normalise(kind, address)
    except Invalid as exc:
        raise RecordError(f"{name}: {exc.detail}") from None


def tag(value: str) -> str:
    """A tag as the conversations service stores it: lower case, spaces as dashes, 1 to 64 characters."""
    cleaned = value.strip().lower().replace(" ", "-")
    if not cleaned or len(cleaned) > 64:
        raise RecordError(f"tags: '{value}' must be 1 to 64 characters")
    return cleaned


def message(obj: Any, ref: str, prefix: str, max_chars: int) -> MessageSpec:
    """A checked message of conversation `ref`; its external id is derived from its content when not given."""
    try:
        if type(obj) is not dict:
            raise RecordError("expected an object")
        if not MESSAGE_LINE_KEYS.issuperset(obj):
            _check_keys(obj, MESSAGE_KEYS)
        # The common case is checked inline: this runs once per message, millions of times.
        direction = obj.get("direction") or "inbound"
        if direction not in DIRECTIONS:
            _choice(obj, "direction", DIRECTIONS)
        channel = obj.get("channel") or None
        if channel is not None and channel not in CHANNELS:
            _choice(obj, "channel", CHANNELS)
        text, html = obj.get("text"), obj.get("html")
        if html:
            # Imported HTML is shown to agents, so it is sanitised like every other HTML Rapport stores.
            try:
                html = htmlkit.sanitize_bounded(_text(obj, "html", max_chars * 2))
            except TooLarge as exc:  # too deep or too long to render safely: the record is refused, named
                raise RecordError(f"html: {exc.detail}") from None
            if not text:
                text = htmlkit.to_text(html)
        else:
            html = None
        if not text:
            raise RecordError("text: a message needs text or html")
        if type(text) is not str or len(text) > max_chars:
            _text({"text": text}, "text", max_chars)
        created_at = parse_time(obj.get("created_at"), "created_at")
        external_id = obj.get("id")
        if external_id is not None and (type(external_id) is not str or len(external_id) > 300):
            _text(obj, "id", 300)
        delivery = obj.get("delivery_status")
        if delivery is not None and delivery not in DELIVERY:
            _choice(obj, "delivery_status", DELIVERY)
        author = obj.get("author")
        if author is not None:
            author = _text(obj, "author", 320).strip().lower()
        meta = obj.get("meta") or {}
        if type(meta) is not dict:
            _mapping(obj, "meta")
    except RecordError as exc:
        raise RecordError(f"{prefix}.{exc}" if prefix else str(exc)) from None
    if not external_id:
        # Stable across runs and file edits, so re-importing the same message finds it again.
        digest = hashlib.blake2b(
            f"{created_at}|{direction}|{text}".encode(), digest_size=8, usedforsecurity=False
        ).hexdigest()
        external_id = f"{ref}#{digest}"
    if delivery is None and direction == "outbound":
        delivery = "sent"
    return MessageSpec(direction, channel, author, text, html, created_at, external_id, meta, delivery)


def conversation(obj: dict, line: int, max_chars: int) -> tuple[ConversationSpec, list[tuple[int, str]]]:
    """A checked conversation and the errors of messages that were left out (each names its line and index)."""
    _check_keys(obj, CONVERSATION_KEYS)
    ref = _text(obj, "ref", 200, required=True)
    customer = obj.get("customer")
    refs = customer if isinstance(customer, list) else [customer]
    if customer is None or not refs:
        raise RecordError("customer: is required ('kind:address', or a list of them)")
    identities = [identity(value, "customer") for value in refs]
    raw_messages = obj.get("messages") or []
    if not isinstance(raw_messages, list):
        raise RecordError("messages: expected a list")
    spec = ConversationSpec(
        line=line,
        ref=ref,
        messages=[],
        identities=identities,
        customer_name=_text(obj, "customer_name", 200, default=""),
        inbox=_text(obj, "inbox", 100),
        channel=_choice(obj, "channel", CHANNELS),
        subject=(_text(obj, "subject", 100_000, default="")).strip()[:500],
        status=_choice(obj, "status", STATUSES),
        priority=_choice(obj, "priority", PRIORITIES, "normal"),
        assignee=_text(obj, "assignee", 320),
        team=_text(obj, "team", 100),
        category=_text(obj, "category", 100),
        tags=sorted({tag(t) for t in _strings(obj, "tags")}),
        custom_fields=_mapping(obj, "fields"),
        created_at=_time_or_none(obj, "created_at"),
        updated_at=_time_or_none(obj, "updated_at"),
        solved_at=_time_or_none(obj, "solved_at"),
        closed_at=_time_or_none(obj, "closed_at"),
    )
    if spec.inbox is None and spec.channel is None:
        raise RecordError("inbox: is required (or give channel, to use the first inbox of that channel)")
    errors: list[tuple[int, str]] = []
    for index, raw in enumerate(raw_messages):
        own_line = raw.pop("_line", line) if isinstance(raw, dict) else line
        try:
            msg = message(raw, ref, f"messages[{index}]", max_chars)
        except RecordError as exc:
            errors.append((own_line, str(exc)))
            continue
        msg.line = own_line
        spec.messages.append(msg)
    if not spec.messages and spec.created_at is None:
        if errors:
            raise RecordError(f"{errors[0][1]} (and without a message to import the conversation is left out)")
        raise RecordError("created_at: is required when a conversation has no messages")
    return spec, errors


def message_line(obj: dict, line: int, max_chars: int) -> ConversationSpec:
    """A separate message line: appended to conversation `conversation`, imported earlier or above."""
    ref = _text(obj, "conversation", 200, required=True)
    msg = message(obj, ref, "", max_chars)
    msg.line = line
    return ConversationSpec(line=line, ref=ref, messages=[msg], append_only=True)


def customer(obj: dict, line: int) -> CustomerSpec:
    """A checked customer; matched on import by any of its identities."""
    _check_keys(obj, CUSTOMER_KEYS)
    values = _strings(obj, "identities", 330)
    if not values:
        raise RecordError('identities: a customer needs at least one, e.g. ["email:jo@example.com"]')
    vip = obj.get("vip", False)
    if not isinstance(vip, bool):
        raise RecordError(f"vip: expected true or false, got {vip!r}")
    profile = {
        "name": _text(obj, "name", 200, default=""),
        "company": _text(obj, "company", 200),
        "language": _text(obj, "language", 16),
        "timezone": _text(obj, "timezone", 64),
        "segment": _text(obj, "segment", 64),
        "vip": vip,
        "attributes": _mapping(obj, "attributes"),
    }
    return CustomerSpec(
        line=line,
        identities=list(dict.fromkeys(identity(v, "identities") for v in values)),
        profile=profile,
        created_at=_time_or_none(obj, "created_at"),
        updated_at=_time_or_none(obj, "updated_at"),
    )


def directory(kind: str, obj: dict) -> dict[str, Any]:
    """A checked team, agent, inbox or custom field definition, as keyword arguments for its service."""
    if kind == "team":
        _check_keys(obj, TEAM_KEYS)
        return {
            "name": _text(obj, "name", 100, required=True),
            "description": _text(obj, "description", 500, default=""),
        }
    if kind == "agent":
        _check_keys(obj, AGENT_KEYS)
        active = obj.get("active", True)
        if not isinstance(active, bool):
            raise RecordError(f"active: expected true or false, got {active!r}")
        return {
            "email": _text(obj, "email", 320, required=True).strip().lower(),
            "name": _text(obj, "name", 200, required=True),
            "role": _choice(obj, "role", frozenset(r.value for r in Role), "agent"),
            "skills": _strings(obj, "skills", 64),
            "timezone": _text(obj, "timezone", 64, default="UTC"),
            "teams": _strings(obj, "teams", 100),
            "active": active,
        }
    if kind == "inbox":
        _check_keys(obj, INBOX_KEYS)
        channel = _choice(obj, "channel", CHANNELS)
        if channel is None:
            raise RecordError("channel: is required")
        active = obj.get("active", True)
        if not isinstance(active, bool):
            raise RecordError(f"active: expected true or false, got {active!r}")
        return {
            "name": _text(obj, "name", 100, required=True),
            "channel": channel,
            "active": active,
            "address": _text(obj, "address", 320),
            "team": _text(obj, "team", 100),
            "settings": _mapping(obj, "settings"),
        }
    if kind == "field":
        _check_keys(obj, FIELD_KEYS)
        required = obj.get("required", False)
        if not isinstance(required, bool):
            raise RecordError(f"required: expected true or false, got {required!r}")
        return {
            "key": _text(obj, "key", 64, required=True),
            "label": _text(obj, "label", 200, required=True),
            "kind": FieldKind(_choice(obj, "kind", frozenset(k.value for k in FieldKind), "text")),
            "options": _strings(obj, "options"),
            "required": required,
        }
    known = "team, agent, inbox, field, customer, conversation, message"
    if kind is None:
        raise RecordError(f"type: is required; one of {known}")
    raise RecordError(f"type: '{kind}' is not one of {known}")
