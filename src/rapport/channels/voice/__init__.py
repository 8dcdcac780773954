"""Phone calls over Twilio: an IVR defined as data, the human queue with its announced wait, callbacks,
and every call on the customer's timeline."""

from rapport.channels import SETTINGS, STATUS
from rapport.channels.twilio_common import inbox_settings
from rapport.channels.voice import settings as _settings
from rapport.channels.voice.api import router

SETTINGS["phone"] = _settings.check
STATUS["phone"] = inbox_settings.status

__all__ = ["router"]
