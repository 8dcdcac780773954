"""Admin pages for inboxes: the list with connections, creating and editing an inbox with its channel settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from rapport.models import Event, Inbox

IMAP = {
    "settings.imap.host": "imap.example.com",
    "settings.imap.port": "993",
    "settings.imap.security": "tls",
    "settings.imap.username": "help@example.com",
    "settings.imap.password": "imap-secret-1",
}
SMTP = {
    "settings.smtp.host": "smtp.example.com",
    "settings.smtp.port": "587",
    "settings.smtp.security": "starttls",
    "settings.smtp.username": "help@example.com",
    "settings.smtp.password": "smtp-secret-2",
}


def _stored(db, name: str) -> Inbox | None:
    with db.read() as s:
        return s.scalar(select(Inbox).where(Inbox.name == name))


def test_the_list_shows_each_inbox_with_its_channel_team_and_connection(client, admin_csrf, world):
    page = client.get("/admin/inboxes")
    assert page.status_code == 200
    assert "Support email" in page.text and "help@example.com" in page.text and "Support" in page.text
    assert "Not connected" in page.text  # the email inbox has no IMAP or SMTP yet
    assert "Built in: there is nothing to connect." in page.text  # the API inbox
    assert 'href="/admin/inboxes/new"' in page.text


def test_creating_an_email_inbox_through_the_form(client, admin_csrf, db, world):
    form = {"csrf_token": admin_csrf, "name": "Billing", "channel": "email", "address": "billing@example.com",
            "team_id": str(world.team.id), **IMAP, **SMTP, "settings.from_name": "Billing"}  # fmt: skip
    r = client.post("/admin/inboxes", data=form)
    assert r.status_code == 303, r.text
    inbox = _stored(db, "Billing")
    assert r.headers["location"] == f"/admin/inboxes/{inbox.id}"
    assert inbox.settings["imap"] == {
        "host": "imap.example.com", "port": 993, "security": "tls", "username": "help@example.com",
        "password": "imap-secret-1",
    }  # fmt: skip
    assert inbox.settings["smtp"]["password"] == "smtp-secret-2" and inbox.team_id == world.team.id
    page = client.get(r.headers["location"])
    assert "Created the inbox" in page.text and "Connected" in page.text
    assert "imap-secret-1" not in page.text and "smtp-secret-2" not in page.text
    assert "A value is stored and never shown" in page.text
    with db.read() as s:
        assert s.scalar(select(Event.name).where(Event.name == "inbox.created")) == "inbox.created"


def test_a_bad_setting_is_named_next_to_its_field_and_nothing_is_saved(client, admin_csrf, db, world):
    form = {"csrf_token": admin_csrf, "name": "Billing", "channel": "email", **IMAP,
            "settings.imap.host": "imap.example.com", "settings.imap.security": "plain"}  # fmt: skip
    r = client.post("/admin/inboxes", data=form)
    assert r.status_code == 422
    assert "only allowed to a loopback host" in r.text and "Nothing was saved" in r.text
    assert "imap-secret-1" not in r.text  # a typed password is not sent back either
    assert re.search(r'id="s-imap-password-hint">Type it again', r.text)
    r = client.post("/admin/inboxes", data={**form, "settings.imap.security": "tls", "settings.imap.port": "99999"})
    assert r.status_code == 422
    error = re.search(r'id="s-imap-port"[^>]*aria-describedby="([^"]+)"', r.text)
    assert error and "s-imap-port-error" in error.group(1)
    assert re.search(r'id="s-imap-port-error">[^<]*65535', r.text)
    assert _stored(db, "Billing") is None


def test_twilio_settings_are_checked_in_words(client, admin_csrf, db, world):
    form = {"csrf_token": admin_csrf, "name": "Texts", "channel": "sms", "settings.account_sid": "AC123",
            "settings.auth_token": "", "settings.phone_number": "0171 555"}  # fmt: skip
    r = client.post("/admin/inboxes", data=form)
    assert r.status_code == 422
    assert "AC followed by 32 characters" in r.text and "international form" in r.text
    assert re.search(r'id="s-auth-token-error">This is required', r.text)
    assert _stored(db, "Texts") is None
    good = {**form, "settings.account_sid": "AC" + "b2" * 16, "settings.auth_token": "tw-token-123456",
            "settings.phone_number": "+4915112345678"}  # fmt: skip
    r = client.post("/admin/inboxes", data=good)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "Twilio number +4915112345678" in page.text and "tw-token-123456" not in page.text
    assert f"/channels/twilio/sms/{_stored(db, 'Texts').id}/inbound" in page.text


def test_editing_keeps_a_secret_left_empty_and_replaces_a_typed_one(client, admin_csrf, db, world):
    form = {"csrf_token": admin_csrf, "name": "Billing", "channel": "email", **IMAP, **SMTP}
    location = client.post("/admin/inboxes", data=form).headers["location"]
    edit = {
        **form,
        "name": "Billing desk",
        "active": "on",
        "settings.imap.password": "",
        "settings.smtp.password": "new-one-3",
    }
    edit.pop("channel")
    r = client.post(location, data=edit)
    assert r.status_code == 303, r.text
    inbox = _stored(db, "Billing desk")
    assert inbox.settings["imap"]["password"] == "imap-secret-1"
    assert inbox.settings["smtp"]["password"] == "new-one-3"
    # Emptying every SMTP input removes SMTP (stored password included).
    cleared = {**edit, **{k: "" for k in SMTP}, "settings.smtp.security": "starttls"}
    assert client.post(location, data=cleared).status_code == 303
    inbox = _stored(db, "Billing desk")
    assert "smtp" not in inbox.settings and inbox.settings["imap"]["password"] == "imap-secret-1"
    page = client.get(location)
    assert "replies cannot be sent without SMTP" in page.text


def test_a_phone_inbox_menu_is_json_checked_with_its_place_named(client, admin_csrf, db, world):
    base = {"csrf_token": admin_csrf, "name": "Phone", "channel": "phone", "settings.account_sid": "AC" + "c3" * 16,
            "settings.auth_token": "tw-token-123456", "settings.phone_number": "+4930123456"}  # fmt: skip
    r = client.post("/admin/inboxes", data={**base, "settings.ivr.menu": "{not json"})
    assert r.status_code == 422 and "This is not valid JSON" in r.text
    menu = '{"prompt": "Which?", "options": [{"digit": "0", "label": "x", "action": "queue"}]}'
    r = client.post("/admin/inboxes", data={**base, "settings.ivr.menu": menu})
    assert r.status_code == 422 and "options › 1 › digit" in r.text
    good = '{"prompt": "Which?", "options": [{"digit": "1", "label": "orders", "action": "queue"}]}'
    r = client.post("/admin/inboxes", data={**base, "settings.ivr.greeting": "Hello!", "settings.ivr.menu": good})
    assert r.status_code == 303, r.text
    stored = _stored(db, "Phone").settings["ivr"]
    assert stored["greeting"] == "Hello!" and stored["menu"]["options"][0]["label"] == "orders"


def test_the_settings_part_follows_the_channel(client, admin_csrf):
    r = client.get(
        "/admin/inboxes/new?channel=whatsapp", headers={"HX-Request": "true", "HX-Target": "channel-settings"}
    )
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="channel-settings">')
    assert 'name="settings.phone_number_id"' in r.text and "<html" not in r.text
    page = client.get("/admin/inboxes/new?channel=chat")
    assert 'name="settings.public_key"' in page.text and 'name="settings.imap.host"' not in page.text


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_agents_and_supervisors_cannot_open_or_post(client, request, world, db, who):
    csrf = request.getfixturevalue("signed_in" if who == "agent" else "supervisor_csrf")
    assert client.get("/admin/inboxes").status_code == 403
    assert client.get(f"/admin/inboxes/{world.email_inbox.id}").status_code == 403
    r = client.post("/admin/inboxes", data={"csrf_token": csrf, "name": "Sneaky", "channel": "api"})
    assert r.status_code == 403
    r = client.post(f"/admin/inboxes/{world.email_inbox.id}", data={"csrf_token": csrf, "name": "Renamed"})
    assert r.status_code == 403
    assert _stored(db, "Sneaky") is None and _stored(db, "Renamed") is None
    assert 'href="/admin' not in client.get("/inbox/all").text


def test_writes_need_the_csrf_token(client, admin_csrf, db):
    r = client.post("/admin/inboxes", data={"name": "No token", "channel": "api"})
    assert r.status_code == 403 and "security token" in r.text
    assert _stored(db, "No token") is None
