"""Email verification: a mailed code, typed into the same chat once; then the chat joins the email's customer."""

from __future__ import annotations

import re

from sqlalchemy import select

from rapport.models import ChatVisitor, Identity, Message
from rapport.worker.runner import run_due
from tests.channels.chat.conftest import KEY, new_visitor
from tests.conftest import inbound

API = f"/chat/api/{KEY}"


def test_verified_email_links_the_chat_to_its_customer_and_shows_history(client, db, world, chat_inbox, smtp_server):
    earlier = inbound(client, world.agent_token, world.api_inbox.id, address="pat@example.net", text="Earlier by email")
    me = new_visitor(client)
    client.post(f"{API}/messages", json={"text": "Hi from chat"}, headers=me)
    r = client.post(f"{API}/email", json={"email": "Pat@Example.net", "continue_by_email": True}, headers=me)
    assert r.status_code == 202, r.text
    # Not verified yet: the other channel's history stays hidden.
    assert [m["text"] for m in client.get(f"{API}/messages", headers=me).json()["items"]] == ["Hi from chat"]
    run_due(db)
    [mail] = smtp_server.messages
    assert mail["To"] == "pat@example.net"
    code = re.search(r"Your code: (\d{6})", mail.get_content()).group(1)
    with db.read() as s:  # the mail alone changes nothing
        assert s.scalar(select(ChatVisitor.email_verified_at)) is None
    done = client.post(f"{API}/email/confirm", json={"code": code}, headers=me)
    assert done.status_code == 200, done.text
    texts = [m["text"] for m in client.get(f"{API}/messages", headers=me).json()["items"]]
    assert texts == ["Earlier by email", "Hi from chat"]
    with db.read() as s:
        chat_owner = s.scalar(select(Identity.customer_id).where(Identity.kind == "chat"))
        assert chat_owner == earlier["customer_id"]
        notes = list(s.scalars(select(Message.body_text).where(Message.direction == "note")))
    assert any("continue by email at pat@example.net (confirmed" in n for n in notes)
    again = client.post(f"{API}/email/confirm", json={"code": code}, headers=me)
    assert again.status_code == 409 and "No confirmation is waiting" in again.text


def test_a_new_address_is_attached_and_a_wrong_code_refused(client, db, chat_inbox, smtp_server):
    me = new_visitor(client)
    client.post(f"{API}/messages", json={"text": "Hi"}, headers=me)
    client.post(f"{API}/email", json={"email": "new@example.net"}, headers=me)
    run_due(db)
    code = re.search(r"Your code: (\d{6})", smtp_server.messages[0].get_content()).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(f"{API}/email/confirm", json={"code": wrong}, headers=me).status_code == 422
    assert client.post(f"{API}/email/confirm", json={"code": code}, headers=me).status_code == 200
    with db.read() as s:
        owners = {i.kind: (i.customer_id, i.verified) for i in s.scalars(select(Identity))}
    assert owners["email"][0] == owners["chat"][0] and owners["email"][1] is True
    assert client.post(f"{API}/email", json={"email": "not an email"}, headers=me).status_code == 422
