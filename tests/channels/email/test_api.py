"""The email REST API (the quarantine, admins only) and email inbox settings through the inbox API."""

from __future__ import annotations

from tests.channels.email.conftest import receive
from tests.channels.email.mails import mail
from tests.conftest import World

IMAP = {"host": "imap.example.com", "port": 993, "security": "tls", "username": "help", "password": "s3cret"}
SMTP = {"host": "smtp.example.com", "port": 587, "security": "starttls", "username": "help", "password": "0ther"}


def test_quarantine_is_for_admins_only(db, world, client):
    receive(db, world.email_inbox.id, b"Subject: who?\r\n\r\nhello\r\n")
    for token in (world.agent_token, world.sup_token):
        r = client.get("/api/v1/email/quarantine", headers=World.auth(token))
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/email/quarantine").status_code == 401
    listed = client.get("/api/v1/email/quarantine", headers=World.auth(world.admin_token)).json()
    (item,) = listed["items"]
    r = client.get(f"/api/v1/email/quarantine/{item['id']}/raw", headers=World.auth(world.agent_token))
    assert r.status_code == 403


def test_admins_list_quarantined_mail_with_reasons_and_fetch_the_raw_bytes(db, world, client):
    anonymous = b"Subject: who?\r\n\r\nhello\r\n"
    auto = mail(frm="robot@customer.test", headers={"Auto-Submitted": "auto-replied"})
    receive(db, world.email_inbox.id, anonymous, auto, mail())
    admin = World.auth(world.admin_token)
    listed = client.get("/api/v1/email/quarantine", headers=admin).json()
    assert [(i["reason"], i["sender"]) for i in listed["items"]] == [
        ("auto_reply", "robot@customer.test"),
        ("no_sender", None),
    ]
    assert all(i["detail"] for i in listed["items"])
    newest, oldest = listed["items"]
    r = client.get(f"/api/v1/email/quarantine/{oldest['id']}/raw", headers=admin)
    assert r.status_code == 200 and r.content == anonymous
    assert r.headers["content-type"].startswith("message/rfc822")
    assert r.headers["content-disposition"].startswith("attachment")
    page = client.get("/api/v1/email/quarantine?limit=1", headers=admin).json()
    assert [i["id"] for i in page["items"]] == [newest["id"]] and page["next_cursor"]
    rest = client.get(f"/api/v1/email/quarantine?limit=1&cursor={page['next_cursor']}", headers=admin).json()
    assert [i["id"] for i in rest["items"]] == [oldest["id"]] and rest["next_cursor"] is None
    only = client.get("/api/v1/email/quarantine?reason=no_sender", headers=admin).json()
    assert [i["id"] for i in only["items"]] == [oldest["id"]]
    assert client.get(f"/api/v1/email/quarantine/{oldest['id'] + 100}", headers=admin).status_code == 404


def test_email_inbox_settings_are_validated_with_a_clear_error(world, client):
    admin = World.auth(world.admin_token)
    body = {"name": "Billing", "channel": "email", "address": "billing@example.com"}
    r = client.post("/api/v1/inboxes", json=body | {"settings": {"imap": IMAP, "smtp": SMTP}}, headers=admin)
    assert r.status_code == 201, r.text
    plain = {**IMAP, "security": "plain"}
    r = client.post("/api/v1/inboxes", json=body | {"name": "B2", "settings": {"imap": plain}}, headers=admin)
    assert r.status_code == 422
    problem = r.json()
    assert "only allowed to a loopback host" in problem["detail"]
    assert problem["errors"][0]["field"] == "settings.imap"
    missing = {k: v for k, v in IMAP.items() if k != "username"}
    r = client.post("/api/v1/inboxes", json=body | {"name": "B3", "settings": {"imap": missing}}, headers=admin)
    assert r.status_code == 422 and "settings.imap.username" in r.json()["detail"]
    r = client.post(
        "/api/v1/inboxes", json=body | {"name": "B4", "settings": {"imap": {**IMAP, "security": "ssl"}}}, headers=admin
    )
    assert r.status_code == 422 and "settings.imap.security" in r.json()["detail"]
    loopback = {**IMAP, "host": "127.0.0.1", "security": "plain", "allow_private": True}
    r = client.post("/api/v1/inboxes", json=body | {"name": "B5", "settings": {"imap": loopback}}, headers=admin)
    assert r.status_code == 201


def test_passwords_are_never_shown_and_a_masked_one_is_kept(db, world, client):
    admin = World.auth(world.admin_token)
    body = {"name": "Billing", "channel": "email", "settings": {"imap": IMAP, "smtp": SMTP}}
    created = client.post("/api/v1/inboxes", json=body, headers=admin).json()
    assert created["settings"]["imap"]["password"] == "********"
    shown = client.get(f"/api/v1/inboxes/{created['id']}", headers=World.auth(world.agent_token)).json()
    assert "s3cret" not in str(shown) and "0ther" not in str(shown)
    changed = {**shown["settings"], "imap": {**shown["settings"]["imap"], "port": 1993}}
    r = client.patch(f"/api/v1/inboxes/{created['id']}", json={"settings": changed}, headers=admin)
    assert r.status_code == 200, r.text
    from rapport.models import Inbox

    with db.read() as s:
        stored = s.get(Inbox, created["id"]).settings
    assert stored["imap"]["password"] == "s3cret" and stored["imap"]["port"] == 1993
    assert stored["smtp"]["password"] == "0ther"
