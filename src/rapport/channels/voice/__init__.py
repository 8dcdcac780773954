"""Phone calls over Twilio: an IVR defined as data, the human queue with its announced wait, callbacks,
and every call on the customer's timeline."""

from rapport.channels.voice.api import router

__all__ = ["router"]
