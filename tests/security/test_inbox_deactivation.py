"""A deactivated inbox, or one whose secret changed, refuses the very next webhook, whichever process changed it.

The change is written straight to the database, as another process would commit it: nothing in this process
hears of it (no event on this process's bus), so only a check against the committed row refuses the webhook.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from rapport.config import Settings, use_settings
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Inbox
from tests.channels.twilio.conftest import ACCOUNT, PUBLIC, SMS_NUMBER, TOKEN, post, sign
from tests.channels.whatsapp.conftest import APP_SECRET, post_signed, text_message
from tests.channels.whatsapp.fake_graph import PHONE_NUMBER_ID, VERSION

SID = "SM" + "0f" * 16


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings with the public base URL Twilio signs."""
    return use_settings(Settings(data_dir=tmp_path / "data", secret_key="test-secret", base_url=PUBLIC + "/"))


def _sms(sid: str) -> dict:
    return {"MessageSid": sid, "AccountSid": ACCOUNT, "From": "+14155550123", "To": SMS_NUMBER, "Body": "hi"}


def _elsewhere(db, inbox_id: int, **values) -> None:
    """Commit a change to the inbox as another process would (this process's caches hear nothing)."""
    with db.engine.begin() as conn:
        conn.execute(update(Inbox).where(Inbox.id == inbox_id).values(**values))


@pytest.fixture
def sms_inbox(db, world):
    """An SMS inbox (Twilio's real API base: no call leaves the machine here)."""
    with db.write() as s:
        return inboxes.create(
            s,
            SYSTEM,
            name="SMS",
            channel="sms",
            address=SMS_NUMBER,
            settings={"account_sid": ACCOUNT, "auth_token": TOKEN, "phone_number": SMS_NUMBER},
        )


def test_a_deactivated_sms_inbox_refuses_the_next_webhook(client, db, sms_inbox):
    path = f"/channels/twilio/sms/{sms_inbox.id}/inbound"
    assert post(client, path, _sms("SM" + "01" * 16)).status_code == 200  # the inbox's settings are now warm
    _elsewhere(db, sms_inbox.id, active=False)
    assert post(client, path, _sms("SM" + "02" * 16)).status_code == 404


def test_a_rotated_twilio_token_refuses_the_old_one_at_once(client, db, sms_inbox):
    path = f"/channels/twilio/sms/{sms_inbox.id}/inbound"
    assert post(client, path, _sms("SM" + "01" * 16)).status_code == 200
    new = {"account_sid": ACCOUNT, "auth_token": "the-new-token-5678", "phone_number": SMS_NUMBER}
    _elsewhere(db, sms_inbox.id, settings=new)
    assert post(client, path, _sms("SM" + "02" * 16)).status_code == 403
    params = _sms("SM" + "03" * 16)
    signed = sign(PUBLIC + path, params, token="the-new-token-5678")
    assert post(client, path, params, signature=signed).status_code == 200


@pytest.fixture
def wa_inbox(db, world):
    """A WhatsApp inbox (Meta's real API base: no call leaves the machine here)."""
    settings = {
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": "EAAtest",
        "app_secret": APP_SECRET,
        "verify_token": "verify-me-please",
        "graph_version": VERSION,
    }
    with db.write() as s:
        return inboxes.create(s, SYSTEM, name="WhatsApp", channel="whatsapp", address="+15550001111", settings=settings)


def test_a_deactivated_whatsapp_inbox_refuses_the_next_webhook(client, db, wa_inbox):
    assert post_signed(client, text_message("wamid.1", "hello")).status_code == 200
    _elsewhere(db, wa_inbox.id, active=False)
    assert post_signed(client, text_message("wamid.2", "hello again")).status_code == 403


def test_a_rotated_whatsapp_app_secret_refuses_the_old_one_at_once(client, db, wa_inbox):
    assert post_signed(client, text_message("wamid.1", "hello")).status_code == 200
    _elsewhere(db, wa_inbox.id, settings={**wa_inbox.settings, "app_secret": "the-new-secret"})
    assert post_signed(client, text_message("wamid.2", "old secret")).status_code == 403
    assert post_signed(client, text_message("wamid.3", "new secret"), secret="the-new-secret").status_code == 200
