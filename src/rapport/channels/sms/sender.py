"""The SMS adapter's sender: a reply sent through Twilio's Messages API by the messages.deliver job.

The job's transaction prepares the request; the call to Twilio runs after it committed (an Outgoing). Twilio's
Messages API takes no idempotency key, so a retry after a crash between Twilio's answer and the bookkeeping sends
again (at least once), unless the status callback (which names the message, `?m=`) stored Twilio's sid first.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException

from rapport.channels.sms import media, repository
from rapport.channels.twilio_common.config import client, parse
from rapport.config import get_settings
from rapport.conversations.tasks import Outgoing, Undeliverable
from rapport.kit import netguard
from rapport.models import Inbox, Message


class DeliveryError(Exception):
    """Twilio refused or could not take the message; the job retries with backoff and the reason is recorded."""


def send_sms(session: Session, message: Message) -> Outgoing | None:
    """The Twilio call creating the message with a StatusCallback; None when it already has Twilio's sid."""
    if message.external_id:
        return None
    inbox = session.get(Inbox, message.inbox_id)
    if inbox is None:
        raise DeliveryError(f"message {message.id} has no inbox to send from")
    cfg = parse(inbox)
    to = repository.customer_number(session, message)
    if not to:
        raise DeliveryError(f"the customer of conversation {message.conversation_id} has no phone number")
    base = get_settings().base_url.rstrip("/")
    params = {
        "to": to,
        "body": message.body_text,
        "status_callback": f"{base}/channels/twilio/sms/{inbox.id}/status?m={message.id}",
    }
    urls = media.links(session, message.id)
    if urls:
        params["media_url"] = urls
    if cfg.messaging_service_sid:
        params["messaging_service_sid"] = cfg.messaging_service_sid
    else:
        params["from_"] = cfg.phone_number
    return Outgoing(transmit=partial(_create, cfg, params), record=partial(_record, to=to))


def _create(cfg, params: dict):
    """Twilio's Messages API call, with no transaction open."""
    try:
        return client(cfg).messages.create(**params)
    except netguard.Refused as exc:  # the SSRF guard: an admin must change api_base or allow private networks
        raise Undeliverable(f"Not sent: {exc.detail}") from None
    except TwilioRestException as exc:
        raise DeliveryError(f"Twilio refused the SMS: HTTP {exc.status}, error {exc.code}: {exc.msg}") from None
    except (TwilioException, OSError) as exc:
        raise DeliveryError(f"Twilio could not be reached: {type(exc).__name__}: {exc}") from None


def _record(session: Session, message: Message, created, *, to: str) -> None:
    # Lock the row: a status callback may have stored the sid (and a later status) meanwhile; it keeps its status.
    session.refresh(message, with_for_update=True)
    message.external_id = created.sid
    message.delivery_error = None
    message.meta = {**(message.meta or {}), "to": to, "twilio_status": created.status}
