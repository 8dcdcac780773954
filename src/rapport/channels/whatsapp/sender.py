"""The WhatsApp adapter's sender: deliver an outbound message through the Cloud API, once.

Prepared by the messages.deliver job inside its transaction (the outbox pattern); the Cloud API calls run after
that transaction committed. A message that already has a wamid was sent and is never sent again; the wamid, the
`sent` status and its event commit together. The Cloud API takes no idempotency key: a crash between Meta's answer
and that commit means the retried job sends again (at least once).
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from rapport.channels.whatsapp import repository, statuses
from rapport.channels.whatsapp.config import load
from rapport.channels.whatsapp.graph import Graph, GraphError
from rapport.config import get_settings
from rapport.conversations import repository as conversations
from rapport.conversations.tasks import Outgoing, Undeliverable
from rapport.kit import blobs
from rapport.models import Conversation, Inbox, Message
from rapport.models.enums import Channel, DeliveryStatus

TEXT_LIMIT = 4096  # Cloud API: text.body
CAPTION_LIMIT = 1024  # Cloud API: image/video/document caption
CAPTIONED = {"image", "video", "document"}


def send(session: Session, message: Message) -> Outgoing | None:
    """The Cloud API calls that send `message` to the customer's WhatsApp, made after the job's transaction commits.

    Permanent refusals mark it failed; other errors raise so the job retries.
    """
    if message.external_id:
        return None  # sent before: a repeated job must not send twice
    conv = session.get(Conversation, message.conversation_id)
    inbox, to = _route(session, message, conv)
    if inbox is None or to is None:
        raise Undeliverable("There is no WhatsApp inbox or WhatsApp number to send this reply from or to.")
    cfg = load(inbox.id, inbox.settings)
    parts = _parts(session, message)
    return Outgoing(transmit=partial(_transmit, cfg, to, parts), record=partial(_record, inbox_id=inbox.id, to=to))


def _transmit(cfg, to: str, parts: list[dict]) -> list[str]:
    """Upload the files and send every part, with no transaction open; the wamids Meta gave them."""
    wamids: list[str] = []
    try:
        with Graph(cfg) as graph:
            for part in parts:
                if "upload" in part:
                    data, filename, ctype = part.pop("upload")
                    part[part["type"]]["id"] = graph.upload(data, filename, ctype)
                wamids.append(graph.send({"to": to, **part}))
    except GraphError as exc:
        if not exc.permanent or wamids:
            raise  # retried with backoff by the job runner
        raise Undeliverable(str(exc)) from None
    return wamids


def _record(session: Session, message: Message, wamids: list[str], *, inbox_id: int, to: str) -> None:
    message.external_id = wamids[0]
    message.inbox_id = inbox_id  # the inbox it went out through: replies quoting it thread back here
    message.meta = {**(message.meta or {}), "whatsapp": {"wamids": wamids, "to": to}}
    statuses.apply(session, message, DeliveryStatus.sent.value)
    session.flush()
    statuses.apply_waiting(session, message, inbox_id, wamids[0])


def _route(session: Session, message: Message, conv: Conversation) -> tuple[Inbox | None, str | None]:
    """The WhatsApp inbox to send from and the customer's WhatsApp number (digits, as Meta's wa_id)."""
    last = repository.last_inbound(session, conv.customer_id)
    inbox = session.get(Inbox, message.inbox_id) if message.inbox_id else None
    if inbox is None or inbox.channel != Channel.whatsapp.value:
        inbox = session.get(Inbox, last.inbox_id) if last is not None and last.inbox_id else None
    wa_id = (last.meta or {}).get("whatsapp", {}).get("wa_id") if last is not None else None
    if not wa_id:
        numbers = repository.whatsapp_addresses(session, conv.customer_id)
        wa_id = numbers[0] if numbers else None
    return inbox, (wa_id.lstrip("+") if wa_id else None)


def _parts(session: Session, message: Message) -> list[dict]:
    """The Cloud API messages that carry this reply: its files (captioned where allowed), then any text."""
    text = (message.body_text or "").strip()
    files = conversations.attachments_for(session, [message.id])[message.id]
    root = get_settings().attachments_dir
    parts: list[dict] = []
    for att in files:
        kind = _media_kind(att.content_type)
        media: dict = {}
        if kind == "document":
            media["filename"] = att.filename
        if text and kind in CAPTIONED and len(text) <= CAPTION_LIMIT:
            media["caption"], text = text, ""
        data = blobs.blob_path(root, att.sha256).read_bytes()
        parts.append({"type": kind, kind: media, "upload": (data, att.filename, att.content_type)})
    chunks = [text[i : i + TEXT_LIMIT] for i in range(0, len(text), TEXT_LIMIT)]
    return [{"type": "text", "text": {"body": c, "preview_url": False}} for c in chunks] + parts


def _media_kind(content_type: str) -> str:
    if content_type in ("image/jpeg", "image/png"):
        return "image"
    if content_type in ("video/mp4", "video/3gpp"):
        return "video"
    if content_type in ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"):
        return "audio"
    return "document"
