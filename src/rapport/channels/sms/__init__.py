"""SMS over Twilio: inbound (and MMS media) by signed webhook, outbound through the Messages API."""

from rapport.channels.sms.api import router
from rapport.channels.sms.sender import send_sms
from rapport.channels.twilio_common import inbox_settings
from rapport.kernel.channels import Adapter, register

register(Adapter("sms", check=inbox_settings.check, status=inbox_settings.status, sender=send_sms))

__all__ = ["router"]
