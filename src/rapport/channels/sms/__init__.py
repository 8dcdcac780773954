"""SMS over Twilio: inbound (and MMS media) by signed webhook, outbound through the Messages API."""

from rapport.channels import SETTINGS, STATUS
from rapport.channels.sms import sender  # noqa: F401  (registers SENDERS["sms"])
from rapport.channels.sms.api import router
from rapport.channels.twilio_common import inbox_settings

SETTINGS["sms"] = inbox_settings.check
STATUS["sms"] = inbox_settings.status

__all__ = ["router"]
