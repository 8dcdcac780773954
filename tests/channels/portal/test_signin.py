"""Signing in by emailed link (through a real SMTP server), the customer's own conversations, reply, sign out."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rapport.models import Event, Message, PortalLink, PortalSession
from tests.channels.portal.conftest import csrf, mailed_link, make_customer, request_link, sign_in
from tests.conftest import World


def test_the_link_mail_reaches_smtp_and_signs_in(client, db, portal_inbox, smtp_server):
    jo = make_customer(db, portal_inbox.id, "jo@example.net")
    page = request_link(client, "JO@example.net")
    assert page.status_code == 200 and "Check your email" in page.text
    assert smtp_server.messages == []  # queued with the transaction, sent by the worker
    path = mailed_link(db, smtp_server)
    mail = smtp_server.messages[-1]
    assert (mail["To"], mail["Subject"]) == ("jo@example.net", "Your sign-in link")
    token = path.rsplit("/", 1)[1]
    with db.read() as s:
        stored = s.scalars(select(PortalLink)).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only the hash is kept
    landing = client.get(path)
    assert landing.status_code == 200 and "<button" in landing.text
    assert client.get("/portal/conversations", follow_redirects=False).status_code == 303  # opening is not signing in
    r = client.post(path, data={"csrf_token": csrf(landing.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/conversations"
    cookie = r.headers["set-cookie"]
    assert "rapport_portal_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/portal" in cookie
    listing = client.get("/portal/conversations")
    assert listing.status_code == 200
    assert f"/portal/conversations/{jo['conversation_id']}" in listing.text
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(Event.name == "customer.signed_in")) == 1


def test_secure_cookies_when_configured(app, db, portal_inbox, smtp_server, settings):
    settings.secure_cookies = True
    client = TestClient(app, base_url="https://testserver")  # a browser sends Secure cookies over TLS only
    make_customer(db, portal_inbox.id, "sec@example.net")
    request_link(client, "sec@example.net")
    path = mailed_link(db, smtp_server)
    landing = client.get(path)
    r = client.post(path, data={"csrf_token": csrf(landing.text)}, follow_redirects=False)
    assert "Secure" in r.headers["set-cookie"]


def test_a_link_works_once(client, db, portal_inbox, smtp_server):
    make_customer(db, portal_inbox.id, "once@example.net")
    request_link(client, "once@example.net")
    path = mailed_link(db, smtp_server)
    token = csrf(client.get(path).text)
    assert client.post(path, data={"csrf_token": token}, follow_redirects=False).status_code == 303
    again = client.get(path)
    assert again.status_code == 410 and "already used" in again.text
    assert 'value="once@example.net"' in again.text and "Send me a new link" in again.text
    other = TestClient(client.app, base_url="http://testserver")
    replay = other.post(path, data={"csrf_token": csrf(other.get("/portal/sign-in").text)}, follow_redirects=False)
    assert replay.status_code == 410
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PortalSession)) == 1


def test_an_expired_link_is_refused(client, db, portal_inbox, smtp_server, frozen_clock, settings):
    settings.portal_link_minutes = 30
    make_customer(db, portal_inbox.id, "late@example.net")
    request_link(client, "late@example.net")
    path = mailed_link(db, smtp_server)
    token = csrf(client.get(path).text)
    frozen_clock[0] += timedelta(minutes=30)
    page = client.get(path)
    assert page.status_code == 410 and "expired" in page.text
    assert client.post(path, data={"csrf_token": token}, follow_redirects=False).status_code == 410
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PortalSession)) == 0


def test_an_unknown_token_is_refused(client, portal_inbox):
    page = client.get("/portal/sign-in/not-a-real-token")
    assert page.status_code == 410 and "not valid" in page.text


def test_the_answer_is_the_same_for_unknown_unverified_and_known_addresses(client, db, portal_inbox, smtp_server):
    make_customer(db, portal_inbox.id, "known@example.net")
    make_customer(db, portal_inbox.id, "unverified@example.net", verified=False)
    pages = [request_link(client, e) for e in ("nobody@example.net", "unverified@example.net", "known@example.net")]
    assert {p.status_code for p in pages} == {200}
    assert len({p.text for p in pages}) == 1
    from rapport.worker.runner import run_due

    run_due(db)
    assert [m["To"] for m in smtp_server.messages] == ["known@example.net"]


def test_link_requests_are_rate_limited(client, db, portal_inbox, settings):
    settings.portal_requests_per_hour = 2
    assert request_link(client, "a@example.net").status_code == 200
    assert request_link(client, "a@example.net").status_code == 200
    r = request_link(client, "a@example.net")
    assert r.status_code == 429 and "RAPPORT_PORTAL_REQUESTS_PER_HOUR" in r.text


def test_a_customer_sees_only_their_own_conversations(client, db, portal_inbox, smtp_server):
    mine = make_customer(db, portal_inbox.id, "mine@example.net", text="my own matter")
    theirs = make_customer(db, portal_inbox.id, "theirs@example.net", text="someone else's secret")
    sign_in(client, db, smtp_server, "mine@example.net")
    assert client.get(f"/portal/conversations/{mine['conversation_id']}").status_code == 200
    r = client.get(f"/portal/conversations/{theirs['conversation_id']}")
    assert r.status_code == 404 and "secret" not in r.text
    listing = client.get("/portal/conversations").text
    assert f"/portal/conversations/{theirs['conversation_id']}" not in listing
    token = csrf(client.get(f"/portal/conversations/{mine['conversation_id']}").text)
    post = client.post(
        f"/portal/conversations/{theirs['conversation_id']}/reply", data={"csrf_token": token, "message": "x"}
    )
    assert post.status_code == 404
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 2


def test_agent_replies_show_escaped_and_notes_never(client, db, world, portal_inbox, smtp_server):
    jo = make_customer(db, portal_inbox.id, "jo@example.net", text="<img src=x onerror=alert(1)> hi")
    conv = jo["conversation_id"]
    auth = World.auth(world.agent_token)
    html = "<p>We sent a <b>new kettle</b>.</p><script>alert(2)</script>"
    assert client.post(f"/api/v1/conversations/{conv}/replies", json={"html": html}, headers=auth).status_code == 201
    note = {"text": "INTERNAL: customer is difficult"}
    assert client.post(f"/api/v1/conversations/{conv}/notes", json=note, headers=auth).status_code == 201
    sign_in(client, db, smtp_server, "jo@example.net")
    page = client.get(f"/portal/conversations/{conv}").text
    assert "<b>new kettle</b>" in page
    assert "<script>" not in page and "alert(2)" not in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; hi" in page
    assert "INTERNAL" not in page


def test_a_reply_is_an_inbound_portal_message_in_that_conversation(client, db, portal_inbox, smtp_server):
    jo = make_customer(db, portal_inbox.id, "jo@example.net")
    sign_in(client, db, smtp_server, "jo@example.net")
    path = f"/portal/conversations/{jo['conversation_id']}"
    token = csrf(client.get(path).text)
    assert client.post(f"{path}/reply", data={"message": "no token"}).status_code == 403
    r = client.post(f"{path}/reply", data={"csrf_token": token, "message": "Any news?"}, follow_redirects=False)
    assert r.status_code == 303
    with db.read() as s:
        msg = s.scalars(select(Message).order_by(Message.id.desc())).first()
    assert (msg.conversation_id, msg.channel, msg.direction, msg.body_text) == (
        jo["conversation_id"],
        "portal",
        "inbound",
        "Any news?",
    )
    assert "Any news?" in client.get(path).text


def test_sign_out_ends_the_session(client, db, portal_inbox, smtp_server):
    jo = make_customer(db, portal_inbox.id, "jo@example.net")
    sign_in(client, db, smtp_server, "jo@example.net")
    old_cookie = client.cookies.get("rapport_portal_session")
    token = csrf(client.get("/portal/conversations").text)
    assert client.post("/portal/sign-out", data={"csrf_token": "wrong"}).status_code == 403
    r = client.post("/portal/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/sign-in"
    assert client.get("/portal/conversations", follow_redirects=False).status_code == 303
    client.cookies.set("rapport_portal_session", old_cookie, path="/portal")
    r = client.get(f"/portal/conversations/{jo['conversation_id']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/sign-in"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PortalSession)) == 0
        assert s.scalar(select(func.count()).select_from(Event).where(Event.name == "customer.signed_out")) == 1


def test_a_form_request_from_a_new_address_mails_a_receipt_whose_link_verifies_it(
    client, db, portal_inbox, smtp_server
):
    from rapport.models import Identity

    token = csrf(client.get("/portal/new").text)
    fields = {"csrf_token": token, "name": "Ny", "email": "new@example.net", "subject": "Hi", "message": "Question"}
    r = client.post("/portal/new", data=fields, follow_redirects=False)
    assert r.status_code == 303
    path = mailed_link(db, smtp_server)
    mail = smtp_server.messages[-1]
    assert mail["To"] == "new@example.net" and mail["Subject"].startswith("We received your request #")
    assert "72 hours" in mail.get_payload(decode=True).decode()
    landing = client.get(path)
    assert client.post(path, data={"csrf_token": csrf(landing.text)}, follow_redirects=False).status_code == 303
    assert "Hi" in client.get("/portal/conversations").text
    with db.read() as s:
        assert s.scalars(select(Identity)).one().verified is True
        assert s.scalar(select(func.count()).select_from(Event).where(Event.name == "identity.verified")) == 1
    # From now on the address can ask for sign-in links itself.
    fresh = TestClient(client.app, base_url="http://testserver")
    request_link(fresh, "new@example.net")
    assert mailed_link(db, smtp_server) != path


def test_a_form_request_from_an_unverified_known_address_mails_no_link(client, db, portal_inbox, smtp_server):
    make_customer(db, portal_inbox.id, "agent-typed@example.net", verified=False)
    token = csrf(client.get("/portal/new").text)
    fields = {"csrf_token": token, "name": "X", "email": "agent-typed@example.net", "subject": "S", "message": "M"}
    assert client.post("/portal/new", data=fields, follow_redirects=False).status_code == 303
    from rapport.worker.runner import run_due

    run_due(db)
    assert smtp_server.messages == []
