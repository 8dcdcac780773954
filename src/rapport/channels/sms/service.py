"""SMS in and delivery status: Twilio's parameters turned into an Inbound message or a status change."""

from __future__ import annotations

import mimetypes
from urllib.parse import urljoin

import requests
from sqlalchemy.orm import Session

from rapport.channels.sms import repository
from rapport.channels.twilio_common.config import TwilioSettings
from rapport.channels.twilio_common.webhook import Webhook
from rapport.config import get_settings
from rapport.conversations import delivery
from rapport.conversations.attachments import IncomingFile
from rapport.conversations.inbound_types import Inbound
from rapport.kit import netguard
from rapport.kit.problems import BadRequest, Invalid, NotFound, Problem, TooLarge
from rapport.models.enums import DeliveryStatus

# Twilio's MessageStatus values -> ours. Undelivered and canceled are failures; the reason goes in delivery_error.
STATUSES = {
    "accepted": DeliveryStatus.queued,
    "scheduled": DeliveryStatus.queued,
    "queued": DeliveryStatus.queued,
    "sending": DeliveryStatus.queued,
    "sent": DeliveryStatus.sent,
    "delivered": DeliveryStatus.delivered,
    "read": DeliveryStatus.read,
    "undelivered": DeliveryStatus.failed,
    "failed": DeliveryStatus.failed,
    "canceled": DeliveryStatus.failed,
}
# Twilio answers a media URL with one redirect to its CDN; more is not Twilio.
MAX_MEDIA_REDIRECTS = 3
# A status only moves forward, so replayed or late callbacks change nothing.
RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


class MediaUnavailable(Problem):
    """Twilio did not hand over an MMS media file."""

    status, title, slug = 502, "Media unavailable", "media-unavailable"


def has_media(hook: Webhook) -> bool:
    """True when the message carries MMS media (fetching it is network work, done off the event loop)."""
    return hook.get("NumMedia", "0") not in ("", "0")


def inbound_message(hook: Webhook) -> Inbound:
    """The Inbound for an incoming SMS/MMS webhook, with its media fetched and checked against the limits."""
    sid = hook.get("MessageSid") or hook.get("SmsSid")
    sender = hook.get("From")
    if not sid or not sender:
        raise BadRequest("An SMS webhook needs MessageSid and From.")
    settings = get_settings()
    try:
        count = int(hook.get("NumMedia") or 0)
    except ValueError:
        raise BadRequest("NumMedia is not a number.") from None
    if count > settings.max_attachments_per_message:
        raise Invalid(
            f"The MMS carries {count} media files; at most {settings.max_attachments_per_message} are allowed "
            "per message (RAPPORT_MAX_ATTACHMENTS_PER_MESSAGE); nothing was stored."
        )
    files = [
        fetch_media(hook.inbox.config, i, hook.get(f"MediaUrl{i}") or "", hook.get(f"MediaContentType{i}"))
        for i in range(count)
    ]
    return Inbound(
        inbox_id=hook.inbox.id,
        sender_kind="phone",
        sender_address=sender,
        text=hook.get("Body") or None,
        external_id=sid,
        channel="sms",
        meta={"from": sender, "to": hook.get("To"), "segments": hook.get("NumSegments")},
        files=files,
    )


def fetch_media(cfg: TwilioSettings, index: int, url: str, declared: str | None) -> IncomingFile:
    """Download one MMS media file from Twilio, refusing it once it passes RAPPORT_MAX_ATTACHMENT_BYTES."""
    limit = get_settings().max_attachment_bytes
    # Media always lives on Twilio's API; anything else in a (signed) webhook is not fetched.
    if not url.startswith(cfg.api_base.rstrip("/") + "/"):
        raise BadRequest(f"MediaUrl{index} is not on Twilio's API ({cfg.api_base}).")
    too_large = TooLarge(
        f"MMS media MediaUrl{index} is over {limit} bytes; the limit is {limit} bytes "
        "(RAPPORT_MAX_ATTACHMENT_BYTES); nothing was stored.",
        limit=limit,
        setting="RAPPORT_MAX_ATTACHMENT_BYTES",
    )
    try:
        r = _open_media(cfg, url, index)
        with r:
            if r.status_code != 200:
                raise MediaUnavailable(f"Twilio answered {r.status_code} for MediaUrl{index}; try again later.")
            if int(r.headers.get("content-length") or 0) > limit:
                raise too_large
            data = bytearray()
            for chunk in r.iter_content(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise too_large
    except requests.RequestException as exc:
        raise MediaUnavailable(f"MediaUrl{index} could not be fetched ({type(exc).__name__}).") from None
    except netguard.Refused as exc:
        raise MediaUnavailable(f"MediaUrl{index} was not fetched: {exc.detail}") from None
    ctype = declared or r.headers.get("content-type")
    ext = mimetypes.guess_extension((ctype or "").split(";")[0].strip()) or ""
    return IncomingFile(filename=f"mms-{index}{ext}", data=bytes(data), content_type=ctype)


def _open_media(cfg: TwilioSettings, url: str, index: int) -> requests.Response:
    """GET a media URL, following Twilio's redirect to its CDN by hand: every hop passes the SSRF guard."""
    timeout = get_settings().twilio_http_timeout_seconds
    for _ in range(MAX_MEDIA_REDIRECTS + 1):
        own = netguard.same_origin(url, cfg.api_base)
        # The inbox's private-network allowance is for its api_base only; a host a redirect names gets none, and
        # the account's credentials go to Twilio's API alone (requests would drop them too).
        target, headers = netguard.checked_url(
            url,
            allow_private=cfg.allow_private and own,
            what=f"MediaUrl{index}",
            allowance="the inbox's api_base only",
            field=f"MediaUrl{index}",
        )
        auth = (cfg.account_sid, cfg.auth_token) if own else None
        r = requests.get(target, auth=auth, headers=headers, stream=True, timeout=timeout, allow_redirects=False)
        if not r.is_redirect:
            return r
        r.close()
        url = urljoin(url, r.headers["location"])
    raise MediaUnavailable(f"MediaUrl{index} redirected more than {MAX_MEDIA_REDIRECTS} times; not fetched.")


def delivery_status(session: Session, hook: Webhook, *, message_id: int) -> None:
    """Apply a status callback to outbound message `message_id`; a replayed or late status changes nothing."""
    sid, raw = hook.get("MessageSid") or hook.get("SmsSid"), hook.get("MessageStatus") or hook.get("SmsStatus")
    new = STATUSES.get(raw or "")
    if not sid or new is None:
        raise BadRequest(f"A status callback needs MessageSid and a known MessageStatus (got '{raw}').")
    message = repository.outbound_for_update(session, hook.inbox.id, message_id)
    if message is None or (message.external_id not in (None, sid)):
        raise NotFound(f"There is no outbound message {message_id} with Twilio sid {sid} in this inbox.")
    message.external_id = sid
    old = message.delivery_status or DeliveryStatus.queued.value
    if RANK[new.value] <= RANK.get(old, 0):
        return
    error = None
    if new == DeliveryStatus.failed:
        code = hook.get("ErrorCode")
        error = f"Twilio reported the SMS {raw}" + (f" (error {code})" if code else "") + "."
    delivery.set_status(session, message, new.value, error=error)
