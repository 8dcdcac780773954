"""Fixtures for the Twilio channels: a fake of Twilio's REST API, SMS and phone inboxes, signed webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from rapport.config import Settings, use_settings
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from tests.channels.twilio.fake_twilio import FakeTwilio

# The app sits behind a proxy: Twilio signs the public URL, not the one the app sees (http://testserver).
PUBLIC = "https://support.example.com"
ACCOUNT = "AC" + "a1" * 16
TOKEN = "twilio-auth-token-1234"
SMS_NUMBER = "+14155550100"
PHONE_NUMBER = "+14155550199"
CALLER = "+14155550123"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings with a public base URL unlike the test client's host."""
    return use_settings(Settings(data_dir=tmp_path / "data", secret_key="test-secret", base_url=PUBLIC + "/"))


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """Twilio's REST API on a free loopback port, stopped after the test."""
    fake = FakeTwilio()
    fake.accounts[ACCOUNT] = TOKEN
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    fake.thread.join(timeout=5)


def _settings(fake: FakeTwilio, number: str) -> dict:
    # The fake is on loopback: allowed explicitly, past the SSRF guard.
    return {"account_sid": ACCOUNT, "auth_token": TOKEN, "phone_number": number, "api_base": fake.url,
            "allow_private": True}  # fmt: skip


@pytest.fixture
def sms_inbox(db, world, fake_twilio):
    """An SMS inbox on the fake Twilio."""
    with db.write() as s:
        return inboxes.create(
            s, SYSTEM, name="SMS", channel="sms", address=SMS_NUMBER, settings=_settings(fake_twilio, SMS_NUMBER)
        )


@pytest.fixture
def phone_inbox(db, world, fake_twilio):
    """A phone inbox on the fake Twilio."""
    with db.write() as s:
        return inboxes.create(
            s,
            SYSTEM,
            name="Phone",
            channel="phone",
            address=PHONE_NUMBER,
            settings=_settings(fake_twilio, PHONE_NUMBER),
        )


def sign(url: str, params: dict, token: str = TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send, computed by the twilio package itself."""
    return RequestValidator(token).compute_signature(url, params)


def post(client, path: str, params: dict, *, signature: str | None = "sign", url: str | None = None):
    """POST a form webhook to `path`, signed for PUBLIC + path (or `url`) unless a signature is given."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "sign":
        signature = sign(url or PUBLIC + path, params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(path, content=urlencode(params), headers=headers)
