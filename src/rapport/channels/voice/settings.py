"""Checking a phone inbox's settings before they are stored: the Twilio credentials and the IVR."""

from __future__ import annotations

from pydantic import ValidationError

from rapport.channels import invalid_settings
from rapport.channels.twilio_common import inbox_settings
from rapport.channels.voice.ivr import Ivr
from rapport.kit.problems import Invalid


def check(settings: dict) -> dict:
    """Validate a phone inbox's settings (the SETTINGS hook): Twilio's part, then the IVR when there is one."""
    errors = []
    try:
        inbox_settings.check(settings)
    except Invalid as problem:
        errors += problem.extra["errors"]
    if settings.get("ivr") is not None:
        try:
            # Stored as set_ivr stores it: the model's own form (defaults filled, text trimmed).
            settings = {**settings, "ivr": Ivr.model_validate(settings["ivr"]).model_dump(mode="json")}
        except ValidationError as exc:
            ivr = invalid_settings("IVR", exc).extra["errors"]
            errors += [{**e, "field": "settings.ivr" + e["field"].removeprefix("settings")} for e in ivr]
    if errors:
        listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Invalid(f"The phone inbox settings are not valid: {listed}.", errors=errors)
    return settings
