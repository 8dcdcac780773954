"""Checking an SMS or phone inbox's Twilio settings before they are stored, and saying how far they are set up."""

from __future__ import annotations

from pydantic import ValidationError

from rapport.channels import invalid_settings
from rapport.channels.twilio_common.config import TwilioSettings, check_api_base
from rapport.kernel.channels import Connection

# Keys an SMS or phone inbox keeps beside its Twilio credentials (checked by their own channel).
OTHER_KEYS = ("ivr",)
HINTS = {
    "account_sid": "an Account SID is AC followed by 32 characters 0-9 and a-f (see the Twilio console)",
    "phone_number": "write the number in international form: + and the country code, such as +14155550100",
    "messaging_service_sid": "a Messaging Service SID is MG followed by 32 characters 0-9 and a-f",
    "api_base": "a base URL such as https://api.twilio.com, without a path",
}


def twilio_part(settings: dict) -> dict:
    """The settings without the keys other than Twilio's (the IVR)."""
    return {k: v for k, v in settings.items() if k not in OTHER_KEYS}


def check(settings: dict) -> dict:
    """Validate the Twilio credentials once any is given (the SETTINGS hook for SMS); returns them unchanged."""
    if twilio_part(settings):
        try:
            cfg = TwilioSettings.model_validate(twilio_part(settings))
        except ValidationError as exc:
            raise invalid_settings("Twilio", exc, hints=HINTS) from None
        check_api_base(cfg)
    return settings


def status(settings: dict) -> Connection:
    """How far an SMS or phone inbox is connected to Twilio (the STATUS hook)."""
    try:
        cfg = TwilioSettings.model_validate(twilio_part(settings))
    except ValidationError:
        return Connection("missing", "Not connected: add the Twilio account SID, auth token and number.")
    via = f" through Messaging Service {cfg.messaging_service_sid}" if cfg.messaging_service_sid else ""
    return Connection("ready", f"Twilio number {cfg.phone_number}{via}.")
