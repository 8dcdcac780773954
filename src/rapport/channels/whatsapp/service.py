"""Receiving Meta's webhooks: verify the subscription, check the signature, fetch media, store, then acknowledge.

The webhook is checked against the app secret before anything is read into the database; media is fetched
outside any transaction (HTTP never runs inside one); then messages and statuses are written in one
transaction, which commits before the 200 goes back to Meta. Replays are recognised by wamid.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

import httpx2
import orjson

from rapport.channels.whatsapp import parse as parsing
from rapport.channels.whatsapp import repository, statuses
from rapport.channels.whatsapp.config import WhatsAppSettings, try_load
from rapport.channels.whatsapp.graph import Graph, GraphError, UpstreamFailed
from rapport.config import get_settings
from rapport.conversations.attachments import IncomingFile
from rapport.db.session import Database
from rapport.kit.problems import BadRequest, Forbidden, Problem

log = logging.getLogger(__name__)


def verify_subscription(db: Database, *, mode: str | None, token: str | None, challenge: str | None) -> str:
    """Meta's handshake: the challenge back when the verify token is one of our WhatsApp inboxes'."""
    if mode != "subscribe" or not token or challenge is None:
        raise Forbidden(
            "The WhatsApp webhook verification needs hub.mode=subscribe, hub.verify_token and hub.challenge."
        )
    configured = list(_CONFIGURED.get(db).values())
    if not any(hmac.compare_digest(c.verify_token.encode(), token.encode()) for c, _ in configured):
        raise Forbidden("The hub.verify_token matches no WhatsApp inbox's verify token.")
    return challenge


@dataclass
class Accepted:
    """A webhook that passed its signature check: the new messages (media fetched) and the status reports."""

    messages: list[parsing.Incoming]
    statuses: list

    @property
    def count(self) -> int:
        """How many messages and statuses it carried."""
        return len(self.messages) + len(self.statuses)


def accept(db: Database, body: bytes, signature: str | None) -> Accepted:
    """Check the signature against the addressed inboxes' app secrets and parse; nothing is stored yet."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    configured = _CONFIGURED.get(db)
    numbers = parsing.phone_number_ids(payload) if isinstance(payload, dict) else set()
    addressed = [configured[n] for n in numbers if n in configured]
    # Every inbox the payload writes to must have signed it; with none known, one of ours must have (so a
    # forged body never earns a 2xx).
    if addressed:
        signed = all(_signed(body, signature, cfg.app_secret) for cfg, _ in addressed)
    else:
        signed = any(_signed(body, signature, cfg.app_secret) for cfg, _ in configured.values())
    if not signed:
        raise Forbidden("The X-Hub-Signature-256 header is missing or does not match the app secret.")
    if not isinstance(payload, dict):
        raise BadRequest("The webhook body is not a JSON object.")
    parsed = parsing.parse(payload, {n: inbox_id for n, (_, inbox_id) in configured.items()})
    if parsed.unknown_numbers:
        log.warning("WhatsApp webhook for unknown phone number ids %s ignored", sorted(parsed.unknown_numbers))
    return Accepted(parsed.messages, parsed.statuses)


def needs_io(accepted: Accepted) -> bool:
    """True when media must be fetched (HTTP, so a worker thread) before the messages are stored."""
    return any(m.media_id for m in accepted.messages)


def fetch_media(db: Database, accepted: Accepted) -> None:
    """Download the media of messages not stored before (a replay is not fetched twice); size limit first."""
    with db.read() as session:
        keys = {(m.msg.inbox_id, m.msg.external_id) for m in accepted.messages}
        seen = repository.known_wamids(session, keys)
    accepted.messages = [m for m in accepted.messages if (m.msg.inbox_id, m.msg.external_id) not in seen]
    by_inbox = {inbox_id: cfg for cfg, inbox_id in _CONFIGURED.get(db).values()}
    _fetch_media([m for m in accepted.messages if m.media_id], by_inbox)


def refused(item: parsing.Incoming, outcome) -> None:
    """Meta would retry a refused delivery for days; the refusal is logged with the wamid instead."""
    if isinstance(outcome, Problem):
        log.warning("WhatsApp message %s refused: %s", item.msg.external_id, outcome.detail)


def store_statuses(db: Database, reports: list) -> None:
    """Apply delivery and read statuses in one transaction."""
    with db.write() as session:
        for report in reports:
            statuses.receive(session, report)


class _Configured:
    """The active WhatsApp inboxes by phone number id, read on every webhook (one small query).

    A deactivation, a rotated app secret or any settings change committed by any process applies to the very next
    webhook; only the validation of settings already seen is kept, keyed by their exact value.
    """

    def __init__(self):
        self._parsed: dict[int, tuple[dict, WhatsAppSettings | None]] = {}

    def get(self, db: Database) -> dict[str, tuple[WhatsAppSettings, int]]:
        """The configured inboxes as committed now."""
        with db.read() as session:
            rows = repository.whatsapp_settings(session)
        out: dict[str, tuple[WhatsAppSettings, int]] = {}
        for inbox_id, settings in rows:
            hit = self._parsed.get(inbox_id)
            if hit is None or hit[0] != settings:
                cfg = try_load(inbox_id, settings)
                if cfg is None:
                    log.warning("WhatsApp inbox %s has incomplete settings; its webhooks are refused", inbox_id)
                hit = self._parsed[inbox_id] = (settings, cfg)
            if hit[1] is not None:
                out[hit[1].phone_number_id] = (hit[1], inbox_id)
        return out


_CONFIGURED = _Configured()


def _signed(body: bytes, header: str | None, secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def _fetch_media(items: list[parsing.Incoming], by_inbox: dict[int, WhatsAppSettings]) -> None:
    """Download each message's media; TooLarge (naming the limit) before anything is stored."""
    limit = get_settings().max_attachment_bytes
    for item in items:
        try:
            with Graph(by_inbox[item.msg.inbox_id]) as graph:
                data, mime = graph.fetch_media(item.media_id, limit=limit)
        except (GraphError, httpx2.HTTPError) as exc:
            # Not acknowledged: Meta delivers the webhook again later and the fetch is retried.
            raise UpstreamFailed(f"Fetching WhatsApp media {item.media_id} failed: {exc}") from exc
        item.msg.files = [IncomingFile(filename=item.filename or "whatsapp-media", data=data, content_type=mime)]
