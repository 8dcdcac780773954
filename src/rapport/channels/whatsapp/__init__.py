"""The WhatsApp channel (Meta's WhatsApp Cloud API): webhooks in, Graph API sends out, the 24-hour window."""

from rapport.channels import SETTINGS, STATUS
from rapport.channels.whatsapp import config, sender  # noqa: F401  (sender registers SENDERS["whatsapp"])
from rapport.channels.whatsapp.webhook import router
from rapport.channels.whatsapp.window import window
from rapport.conversations.reply_options import WINDOWS

WINDOWS["whatsapp"] = window
SETTINGS["whatsapp"] = config.check
STATUS["whatsapp"] = config.status

__all__ = ["router"]
