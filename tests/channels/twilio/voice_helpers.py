"""Helpers for voice tests: Twilio's voice webhook parameters, and TwiML parsed as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.channels.twilio.conftest import ACCOUNT, CALLER, PHONE_NUMBER, post

CALL = "CA" + "5e" * 16


def call_params(**extra) -> dict:
    """The parameters Twilio sends with every voice webhook of the call."""
    return {
        "CallSid": CALL,
        "AccountSid": ACCOUNT,
        "From": CALLER,
        "To": PHONE_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def voice(client, inbox_id: int, hook: str, query: str = "", **extra) -> ET.Element:
    """POST a signed voice webhook and parse the TwiML it answers."""
    r = post(client, f"/channels/twilio/voice/{inbox_id}/{hook}{query}", call_params(**extra))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.text)
    assert root.tag == "Response"
    return root


def said(root: ET.Element) -> str:
    """Everything the TwiML says, in order."""
    return " ".join(e.text or "" for e in root.iter("Say"))
