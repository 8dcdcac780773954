"""The WhatsApp channel (Meta's WhatsApp Cloud API): webhooks in, Graph API sends out, the 24-hour window."""

from rapport.channels.whatsapp import config
from rapport.channels.whatsapp.sender import send
from rapport.channels.whatsapp.webhook import router
from rapport.channels.whatsapp.window import window
from rapport.kernel.channels import Adapter, register

register(Adapter("whatsapp", check=config.check, status=config.status, sender=send, window=window))

__all__ = ["router"]
