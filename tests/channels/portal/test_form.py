"""The public web form: a request becomes a conversation; CSRF, validation, rate limit, security headers."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import Attachment, Conversation, Identity, Message
from tests.channels.portal.conftest import csrf


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def _form(client) -> str:
    page = client.get("/portal/new")
    assert page.status_code == 200
    return csrf(page.text)


FIELDS = {"name": "Pat Doe", "email": "Pat@Example.net", "subject": "Broken kettle", "message": "It leaks.\nHelp!"}


def test_a_submitted_form_becomes_a_conversation_in_the_portal_inbox(client, db, portal_inbox):
    token = _form(client)
    files = {"attachment": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png")}
    r = client.post("/portal/new", data={"csrf_token": token, **FIELDS}, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text
    with db.read() as s:
        conv = s.scalars(select(Conversation)).one()
        msg = s.scalars(select(Message)).one()
        ident = s.scalars(select(Identity)).one()
        att = s.scalars(select(Attachment)).one()
    assert r.headers["location"] == f"/portal/new/sent?ref={conv.id}"
    assert (conv.inbox_id, conv.channel, conv.subject) == (portal_inbox.id, "portal", "Broken kettle")
    assert (msg.channel, msg.direction, msg.body_text) == ("portal", "inbound", "It leaks.\nHelp!")
    assert (ident.kind, ident.address, ident.verified) == ("email", "pat@example.net", False)
    assert (att.filename, att.message_id) == ("photo.png", msg.id)
    thanks = client.get(r.headers["location"])
    assert f"#{conv.id}" in thanks.text


def test_without_the_csrf_token_nothing_is_stored(client, db, portal_inbox):
    _form(client)
    r = client.post("/portal/new", data=FIELDS)
    assert r.status_code == 403
    assert "security token" in r.text and r.headers["content-type"].startswith("text/html")
    r = client.post("/portal/new", data={"csrf_token": "forged", **FIELDS})
    assert r.status_code == 403
    assert _count(db, Message) == 0


def test_a_token_without_its_cookie_is_refused(client, db, portal_inbox):
    token = _form(client)
    client.cookies.clear()
    assert client.post("/portal/new", data={"csrf_token": token, **FIELDS}).status_code == 403
    assert _count(db, Message) == 0


def test_missing_fields_show_the_form_again_escaped(client, db, portal_inbox):
    token = _form(client)
    data = {"csrf_token": token, **FIELDS, "subject": "", "name": "<script>alert(1)</script>"}
    r = client.post("/portal/new", data=data)
    assert r.status_code == 422
    assert "Enter a subject" in r.text
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    assert 'for="subject"' in r.text
    assert _count(db, Message) == 0


def test_the_form_is_rate_limited_per_email(client, db, portal_inbox, settings):
    settings.portal_requests_per_hour = 2
    token = _form(client)
    for _ in range(2):
        r = client.post("/portal/new", data={"csrf_token": token, **FIELDS}, follow_redirects=False)
        assert r.status_code == 303
    r = client.post("/portal/new", data={"csrf_token": token, **FIELDS})
    assert r.status_code == 429
    assert "RAPPORT_PORTAL_REQUESTS_PER_HOUR" in r.text
    assert _count(db, Message) == 2


def test_the_form_is_rate_limited_per_ip_across_emails(client, db, portal_inbox, settings):
    settings.portal_requests_per_hour = 1
    token = _form(client)
    ok = client.post("/portal/new", data={"csrf_token": token, **FIELDS}, follow_redirects=False)
    assert ok.status_code == 303
    other = {**FIELDS, "email": "someone.else@example.net"}
    assert client.post("/portal/new", data={"csrf_token": token, **other}).status_code == 429


def test_pages_carry_a_strict_content_security_policy(client, portal_inbox):
    r = client.get("/portal/new")
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert '<label for="email">' in r.text and 'name="viewport"' in r.text
    assert "<script" not in r.text
    css = client.get("/static/base.css")
    assert css.status_code == 200 and "font" in css.text


def test_without_a_portal_inbox_the_form_says_so(client, db, world):
    token = _form(client)
    r = client.post("/portal/new", data={"csrf_token": token, **FIELDS})
    assert r.status_code == 503
    assert "portal" in r.text
