"""Phone calls over Twilio: an IVR defined as data, the human queue with its announced wait, callbacks,
and every call on the customer's timeline."""

from rapport.channels.twilio_common import inbox_settings
from rapport.channels.voice import settings as _settings
from rapport.channels.voice.api import router
from rapport.kernel.channels import Adapter, register

register(Adapter("phone", check=_settings.check, status=inbox_settings.status))

__all__ = ["router"]
