"""An inbox's Twilio settings, validated, and what a webhook reads of its inbox (validation kept per process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from rapport.config import get_settings
from rapport.db.session import Database
from rapport.kit import netguard
from rapport.kit.problems import Conflict, NotFound
from rapport.models import Inbox

TWILIO_API = "https://api.twilio.com"
# How the SSRF guard names the api_base in its refusals.
_WHERE = {
    "what": "The Twilio API host",
    "allowance": "this inbox (settings.allow_private)",
    "field": "settings.api_base",
}
E164 = r"^\+[1-9][0-9]{4,14}$"


class TwilioSettings(BaseModel):
    """What an SMS or phone inbox's `settings` hold to talk to Twilio (other keys, such as `ivr`, are ignored)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    account_sid: Annotated[str, Field(pattern=r"^AC[0-9a-fA-F]{32}$")]
    auth_token: Annotated[str, Field(min_length=8, max_length=200)]
    phone_number: Annotated[str, Field(pattern=E164)]
    messaging_service_sid: Annotated[str, Field(pattern=r"^MG[0-9a-fA-F]{32}$")] | None = None
    # Only tests change this (to a local fake of Twilio's REST API); it passes the SSRF guard (kit.netguard) on
    # save and before every call, and may be private (a loopback fake) only when allow_private says so.
    api_base: Annotated[str, Field(pattern=r"^https?://[^/\s]+$")] = TWILIO_API
    allow_private: bool = False


def parse(inbox: Inbox) -> TwilioSettings:
    """The inbox's Twilio settings; Conflict naming the bad fields when they are missing or malformed."""
    try:
        return TwilioSettings.model_validate(inbox.settings or {})
    except ValidationError as exc:
        bad = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise Conflict(
            f"Inbox {inbox.id} has no usable Twilio settings (check: {bad}); an admin sets them with "
            "PATCH /api/v1/inboxes/{id}.",
            errors=[{"field": f"settings.{'.'.join(str(p) for p in e['loc'])}"} for e in exc.errors()],
        ) from None


def client(cfg: TwilioSettings) -> Client:
    """A Twilio REST client for the inbox's account, aimed at `api_base`, with the configured timeout."""
    rest = Client(
        cfg.account_sid,
        cfg.auth_token,
        http_client=TwilioHttpClient(timeout=get_settings().twilio_http_timeout_seconds),
    )
    # The Api domain's base URL is the documented seam for pointing the client elsewhere (tests: a local fake).
    rest.api.base_url = checked_base(cfg)
    return rest


def check_api_base(cfg: TwilioSettings) -> None:
    """On save: the api_base checks that need no DNS lookup (address literals, localhost); Refused otherwise."""
    netguard.check_base_url_static(cfg.api_base, allow_private=cfg.allow_private, **_WHERE)


def checked_base(cfg: TwilioSettings) -> str:
    """The api_base to call now, through the SSRF guard (kit.netguard.checked_base_url)."""
    return netguard.checked_base_url(cfg.api_base, allow_private=cfg.allow_private, **_WHERE)


@dataclass(frozen=True)
class CachedInbox:
    """What a webhook needs before any write: the inbox's channel and its Twilio settings."""

    id: int
    channel: str
    config: TwilioSettings


class InboxCache:
    """Inbox settings by id, re-read on every webhook and validated again only when they changed.

    Every webhook reads the inbox's row (one primary-key read): a deactivation, a rotated auth token or any other
    change committed by any process applies to the very next webhook, here or in any other process. What is
    kept is only the validation of settings already seen, keyed by their exact value.
    """

    def __init__(self, db: Database):
        self.db = db
        self._items: dict[int, tuple[dict, CachedInbox]] = {}

    def get(self, inbox_id: int, channel: str) -> CachedInbox:
        """The inbox as committed now; NotFound unless it is an active inbox of `channel`."""
        with self.db.read() as session:
            row = session.execute(
                select(Inbox.id, Inbox.channel, Inbox.active, Inbox.settings).where(Inbox.id == inbox_id)
            ).first()
        if row is None or not row.active:
            self._items.pop(inbox_id, None)
            raise NotFound(f"There is no active inbox {inbox_id}.")
        if row.channel != channel:
            raise NotFound(f"Inbox {inbox_id} is not a {channel} inbox.")
        settings = row.settings or {}
        hit = self._items.get(inbox_id)
        if hit is None or hit[0] != settings or hit[1].channel != row.channel:
            hit = (settings, CachedInbox(row.id, row.channel, parse(row)))
            self._items[inbox_id] = hit
        return hit[1]
