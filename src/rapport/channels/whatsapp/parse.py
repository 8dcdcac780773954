"""Reading Meta's webhook payload (entry[].changes[].value) into inbound messages and status reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapport.channels.whatsapp.statuses import StatusReport
from rapport.conversations.inbound_types import Inbound
from rapport.kit.clock import now
from rapport.kit.problems import BadRequest

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")


@dataclass
class Incoming:
    """A customer's message and, when it carries a file, the media to fetch before storing it."""

    msg: Inbound
    media_id: str | None = None
    mime_type: str | None = None
    filename: str | None = None


@dataclass
class Parsed:
    """What one webhook delivery carries, per inbox."""

    messages: list[Incoming] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    unknown_numbers: set[str] = field(default_factory=set)


def phone_number_ids(payload: dict) -> set[str]:
    """The business phone number ids a payload is addressed to."""
    return {str(value.get("metadata", {}).get("phone_number_id", "")) for value in _values(payload)} - {""}


def parse(payload: dict, inboxes: dict[str, int]) -> Parsed:
    """Messages and statuses for the inboxes known by phone number id; other numbers are noted, not stored."""
    out = Parsed()
    for value in _values(payload):
        number = str(value.get("metadata", {}).get("phone_number_id", ""))
        inbox_id = inboxes.get(number)
        if inbox_id is None:
            out.unknown_numbers.add(number)
            continue
        names = {c.get("wa_id"): (c.get("profile") or {}).get("name") for c in value.get("contacts") or []}
        for m in value.get("messages") or []:
            out.messages.append(_message(inbox_id, m, names))
        for s in value.get("statuses") or []:
            errors = s.get("errors") or []
            error = "; ".join(_error_text(e) for e in errors) or None
            out.statuses.append(
                StatusReport(
                    inbox_id=inbox_id,
                    wamid=_required(s, "id"),
                    status=str(s.get("status", "")),
                    occurred_at=_time(s.get("timestamp")),
                    error=error,
                )
            )
    return out


def _values(payload: dict) -> list[dict]:
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise BadRequest("Not a WhatsApp Business Account webhook (object must be 'whatsapp_business_account').")
    values = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") == "messages" and isinstance(change.get("value"), dict):
                values.append(change["value"])
    return values


def _message(inbox_id: int, m: dict, names: dict) -> Incoming:
    wa_id = _required(m, "from")
    kind = m.get("type", "text")
    text, media = None, None
    if kind == "text":
        text = (m.get("text") or {}).get("body")
    elif kind in MEDIA_TYPES:
        media = m.get(kind) or {}
        text = media.get("caption")
    elif kind == "location":
        loc = m.get("location") or {}
        parts = [loc.get("name"), loc.get("address"), f"{loc.get('latitude')}, {loc.get('longitude')}"]
        text = "Location: " + " — ".join(str(p) for p in parts if p)
    elif kind == "reaction":
        emoji = (m.get("reaction") or {}).get("emoji")
        text = f"Reacted {emoji} to a message" if emoji else "Removed a reaction"
    elif kind == "button":
        text = (m.get("button") or {}).get("text")
    elif kind == "interactive":
        reply = (m.get("interactive") or {}).get("button_reply") or (m.get("interactive") or {}).get("list_reply")
        text = (reply or {}).get("title")
    if not text and not media:
        # Kept, so nothing the customer sent disappears silently; the agent sees what kind it was.
        text = f"[A WhatsApp message of type '{kind}' that Rapport does not display]"
    msg = Inbound(
        inbox_id=inbox_id,
        sender_kind="whatsapp",
        sender_address="+" + wa_id.lstrip("+"),
        sender_name=names.get(wa_id),
        text=text,
        external_id=_required(m, "id"),
        in_reply_to=(m.get("context") or {}).get("id"),
        channel="whatsapp",
        received_at=_time(m.get("timestamp")),
        meta={"whatsapp": {"type": kind, "wa_id": wa_id}},
    )
    if media is None:
        return Incoming(msg=msg)
    mime = media.get("mime_type")
    name = media.get("filename") or f"whatsapp-{kind}{_extension(mime)}"
    return Incoming(msg=msg, media_id=_required(media, "id"), mime_type=mime, filename=name)


def _required(obj: dict, key: str) -> str:
    value = obj.get(key)
    if not value:
        raise BadRequest(f"A WhatsApp webhook item has no '{key}'.")
    return str(value)


def _time(raw) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError):
        return now()


def _error_text(error: dict) -> str:
    details = (error.get("error_data") or {}).get("details")
    text = f"{error.get('code', '')} {error.get('title') or error.get('message') or ''}".strip()
    return f"{text}: {details}" if details else text


def _extension(mime: str | None) -> str:
    base = (mime or "").split(";")[0].strip()
    return {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "audio/ogg": ".ogg",
        "audio/mpeg": ".mp3",
        "video/mp4": ".mp4",
        "application/pdf": ".pdf",
    }.get(base, "")
