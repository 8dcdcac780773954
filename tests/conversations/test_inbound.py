"""receive_inbound through the API: customers, threading, idempotency, sanitising, attachments."""

import base64

from sqlalchemy import func, select

from rapport.models import Attachment, Conversation, Customer, Event, IdempotencyKey, Message
from tests.conftest import World, inbound


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_new_sender_creates_customer_conversation_and_events(client, world, db):
    out = inbound(client, world.agent_token, world.email_inbox.id, address="Jo@Customer.Test", subject="Refund")
    assert out["new_conversation"] and not out["duplicate"]
    with db.read() as s:
        conv = s.get(Conversation, out["conversation_id"])
        assert conv.status == "new" and conv.subject == "Refund" and conv.team_id == world.team.id
        assert conv.channel == "email" and conv.message_count == 1 and conv.last_inbound_at is not None
        names = list(s.scalars(select(Event.name).where(Event.conversation_id == conv.id).order_by(Event.id)))
        assert names == ["conversation.created", "message.received"]
        customer_events = list(s.scalars(select(Event.name).where(Event.customer_id == out["customer_id"])))
        assert "customer.created" in customer_events
    # The same address in another case or with spaces is the same customer.
    again = inbound(client, world.agent_token, world.email_inbox.id, address=" jo@customer.test ")
    assert again["customer_id"] == out["customer_id"] and again["conversation_id"] == out["conversation_id"]


def test_threading_explicit_reference_then_reply_to_then_open_conversation(client, world):
    a = inbound(client, world.agent_token, world.email_inbox.id, external_id="m1", subject="First")
    # Another inbox: a new conversation, same customer.
    b = inbound(client, world.agent_token, world.api_inbox.id, external_id="m2")
    assert b["customer_id"] == a["customer_id"] and b["conversation_id"] != a["conversation_id"]
    # in_reply_to threads onto the parent's conversation within the inbox.
    c = inbound(client, world.agent_token, world.email_inbox.id, external_id="m3", in_reply_to="m1")
    assert c["conversation_id"] == a["conversation_id"]
    # An explicit reference wins over everything.
    d = inbound(client, world.agent_token, world.api_inbox.id, conversation_id=a["conversation_id"])
    assert d["conversation_id"] == a["conversation_id"]


def test_explicit_reference_to_another_customers_conversation_is_refused(client, world, db):
    a = inbound(client, world.agent_token, world.email_inbox.id, address="one@customer.test")
    before = _count(db, Message)
    r = client.post(
        "/api/v1/messages/inbound",
        headers=World.auth(world.agent_token),
        json={
            "inbox_id": world.email_inbox.id,
            "sender": {"kind": "email", "address": "two@customer.test"},
            "text": "let me in",
            "conversation_id": a["conversation_id"],
        },
    )
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert "another customer" in r.json()["detail"]
    assert _count(db, Message) == before
    assert _count(db, Customer) == 1  # the half-made customer was rolled back too


def test_solved_reopens_and_closed_gets_a_follow_up(client, world, db):
    a = inbound(client, world.agent_token, world.email_inbox.id)
    cid = a["conversation_id"]
    h = World.auth(world.agent_token)
    assert client.patch(f"/api/v1/conversations/{cid}", json={"status": "solved"}, headers=h).status_code == 200
    # Without a reference a solved matter stays solved: a new message is a new matter.
    fresh = inbound(client, world.agent_token, world.email_inbox.id, text="another thing")
    assert fresh["conversation_id"] != cid
    # A reply that references it reopens it.
    b = inbound(client, world.agent_token, world.email_inbox.id, text="still broken", conversation_id=cid)
    assert b["conversation_id"] == cid
    conv = client.get(f"/api/v1/conversations/{cid}", headers=h).json()
    assert conv["status"] == "open" and conv["reopen_count"] == 1
    client.patch(f"/api/v1/conversations/{cid}", json={"status": "solved"}, headers=h)
    assert client.patch(f"/api/v1/conversations/{cid}", json={"status": "closed"}, headers=h).status_code == 200
    c = inbound(client, world.agent_token, world.email_inbox.id, text="new problem", conversation_id=cid)
    assert c["conversation_id"] != cid and c["new_conversation"]
    with db.read() as s:
        created = s.scalars(
            select(Event).where(Event.conversation_id == c["conversation_id"], Event.name == "conversation.created")
        ).one()
        assert created.payload["follow_up_of"] == cid


def test_pending_returns_to_open_when_customer_writes(client, world):
    a = inbound(client, world.agent_token, world.email_inbox.id)
    h = World.auth(world.agent_token)
    client.post(
        f"/api/v1/conversations/{a['conversation_id']}/replies",
        json={"text": "Which order?", "status": "pending"},
        headers=h,
    )
    assert client.get(f"/api/v1/conversations/{a['conversation_id']}", headers=h).json()["status"] == "pending"
    inbound(client, world.agent_token, world.email_inbox.id, text="Order 42")
    assert client.get(f"/api/v1/conversations/{a['conversation_id']}", headers=h).json()["status"] == "open"


def test_duplicate_external_id_is_stored_once(client, world, db):
    a = inbound(client, world.agent_token, world.email_inbox.id, external_id="<abc@mail>")
    r = client.post(
        "/api/v1/messages/inbound",
        headers=World.auth(world.agent_token),
        json={
            "inbox_id": world.email_inbox.id,
            "sender": {"kind": "email", "address": "jo@customer.test"},
            "text": "Hello",
            "external_id": "<abc@mail>",
        },
    )
    assert r.status_code == 200 and r.json()["duplicate"] and r.json()["message_id"] == a["message_id"]
    assert _count(db, Message) == 1


def test_idempotency_key_replays_the_same_response(client, world, db):
    body = {
        "inbox_id": world.api_inbox.id,
        "sender": {"kind": "phone", "address": "+1 (415) 555-0100"},
        "text": "Where is my parcel?",
    }
    h = World.auth(world.agent_token) | {"Idempotency-Key": "k-1"}
    first = client.post("/api/v1/messages/inbound", json=body, headers=h)
    second = client.post("/api/v1/messages/inbound", json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers.get("idempotent-replayed") == "true"
    assert _count(db, Message) == 1 and _count(db, IdempotencyKey) == 1
    other = client.post("/api/v1/messages/inbound", json={**body, "text": "different"}, headers=h)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert _count(db, Message) == 1


def test_script_html_is_stored_sanitised(client, world, db):
    html = (
        '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script>'
        '<img src="https://tracker.example/p.gif"><a href="javascript:alert(1)">x</a></p>'
    )
    out = inbound(client, world.agent_token, world.email_inbox.id, html=html, text=None)
    with db.read() as s:
        msg = s.get(Message, out["message_id"])
    assert "<script" not in msg.body_html and "onclick" not in msg.body_html and "javascript:" not in msg.body_html
    assert "tracker.example" not in msg.body_html and "<b>there</b>" in msg.body_html
    assert "alert" not in msg.body_text and "Hi there" in msg.body_text


def test_attachments_are_sniffed_and_active_types_never_inline(client, world, db):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    out = inbound(
        client,
        world.agent_token,
        world.email_inbox.id,
        attachments=[
            {"filename": "pic.png", "content_type": "image/png", "data": base64.b64encode(png).decode()},
            {"filename": "logo.png", "content_type": "image/png", "data": base64.b64encode(svg).decode()},
        ],
    )
    with db.read() as s:
        rows = {a.filename: a for a in s.scalars(select(Attachment).where(Attachment.message_id == out["message_id"]))}
    assert rows["pic.png"].content_type == "image/png"
    assert rows["logo.png"].content_type == "image/svg+xml"  # the bytes, not the claim, decide
    h = World.auth(world.agent_token)
    r = client.get(f"/api/v1/attachments/{rows['logo.png'].id}", headers=h)
    assert r.status_code == 200 and r.content == svg
    assert r.headers["content-type"] == "application/octet-stream" and r.headers["content-disposition"].startswith(
        "attachment"
    )
    r = client.get(f"/api/v1/attachments/{rows['pic.png'].id}", headers=h)
    assert r.headers["content-type"] == "image/png" and r.headers["x-content-type-options"] == "nosniff"


def test_a_customer_continues_a_conversation_in_another_channel_by_mentioning_it(db, world):
    """ "[#N]" in a message on another inbox joins conversation N when it is the sender's own and not closed."""
    from rapport.conversations.inbound import Inbound, receive_inbound
    from rapport.kernel.permissions import SYSTEM

    def send(inbox_id, address, text):
        with db.write() as s:
            return receive_inbound(s, SYSTEM, Inbound(inbox_id, "email", address, text=text))

    first = send(world.email_inbox.id, "pat@example.net", "My parcel is late")
    again = send(world.api_inbox.id, "pat@example.net", f"Following up on [#{first.conversation_id}] from the app")
    assert (again.conversation_id, again.new_conversation) == (first.conversation_id, False)
    bare = send(world.api_inbox.id, "pat@example.net", f"still about #{first.conversation_id}, thanks")
    assert bare.conversation_id == first.conversation_id
    # Someone else's number is not theirs to join.
    other = send(world.api_inbox.id, "sam@example.net", f"about [#{first.conversation_id}]")
    assert other.new_conversation and other.conversation_id != first.conversation_id


def test_repeat_contact_is_shown_on_the_conversation(client, world, frozen_clock):
    """The third conversation a customer opens within 7 days says so; the first says nothing."""
    from datetime import timedelta

    from tests.conftest import inbound

    ids = []
    for inbox in (world.email_inbox.id, world.api_inbox.id):
        ids.append(inbound(client, world.agent_token, inbox, address="rae@example.net")["conversation_id"])
        frozen_clock[0] += timedelta(days=2)
    h = World.auth(world.agent_token)
    for status in ("solved", "closed"):  # closed: the customer's next message opens a new conversation
        r = client.patch(f"/api/v1/conversations/{ids[0]}", json={"status": status}, headers=h)
        assert r.status_code == 200, r.text
    frozen_clock[0] += timedelta(days=1)
    ids.append(inbound(client, world.agent_token, world.email_inbox.id, address="rae@example.net")["conversation_id"])
    assert len(set(ids)) == 3
    first = client.get(f"/api/v1/conversations/{ids[0]}", headers=h).json()
    third = client.get(f"/api/v1/conversations/{ids[2]}", headers=h).json()
    assert first["repeat_contact"] is None
    assert third["repeat_contact"] == {"ordinal": 3, "days": 7, "text": "3rd contact in 7 days"}


def test_a_number_on_whatsapp_and_by_sms_is_one_customer(db, world):
    """A WhatsApp account on a number the customer already texted from joins that customer, and back."""
    from sqlalchemy import select

    from rapport.conversations.inbound import Inbound, receive_inbound
    from rapport.kernel.permissions import SYSTEM
    from rapport.models import Event, Identity

    def send(kind, address):
        with db.write() as s:
            return receive_inbound(s, SYSTEM, Inbound(world.api_inbox.id, kind, address, text="Hello"))

    by_sms = send("phone", "+44 7700 900123")
    on_whatsapp = send("whatsapp", "447700900123")
    assert on_whatsapp.customer_id == by_sms.customer_id
    other = send("whatsapp", "15550001111")
    back = send("phone", "+15550001111")
    assert back.customer_id == other.customer_id != by_sms.customer_id
    with db.read() as s:
        kinds = sorted(s.scalars(select(Identity.kind).where(Identity.customer_id == by_sms.customer_id)))
        linked = s.scalars(select(Event.payload).where(Event.name == "identity.added")).all()
    assert kinds == ["phone", "whatsapp"]
    assert len(linked) == 2 and all(p["fields"]["via"] == "number" for p in linked)


def test_open_and_message_pages_show_attachments_only_where_there_are_some(client, world):
    data = base64.b64encode(b"order 1234").decode()
    first = inbound(client, world.agent_token, world.email_inbox.id, text="no files")
    with_file = inbound(
        client,
        world.agent_token,
        world.email_inbox.id,
        text="see attached",
        attachments=[{"filename": "order.txt", "content_type": "text/plain", "data": data}],
    )
    cid = first["conversation_id"]
    assert with_file["conversation_id"] == cid
    h = World.auth(world.agent_token)
    opened = client.get(f"/api/v1/conversations/{cid}?include=messages", headers=h).json()["messages"]
    paged = client.get(f"/api/v1/conversations/{cid}/messages", headers=h).json()["items"]
    for messages in (opened, paged):
        files = {m["id"]: [a["filename"] for a in m["attachments"]] for m in messages}
        assert files == {first["message_id"]: [], with_file["message_id"]: ["order.txt"]}
        assert all("has_files" not in m for m in messages)
