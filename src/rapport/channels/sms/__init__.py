"""SMS over Twilio: inbound (and MMS media) by signed webhook, outbound through the Messages API."""

from rapport.channels.sms import sender  # noqa: F401  (registers SENDERS["sms"])
from rapport.channels.sms.api import router

__all__ = ["router"]
