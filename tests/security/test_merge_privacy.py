"""Merging conversations never shows one customer another customer's messages (portal, chat, API, page)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, Message
from tests.channels.portal.conftest import make_customer, sign_in
from tests.conftest import World, inbound
from tests.web.pages.conftest import sign_in_as

KEY = "pk_test_merge_privacy_01"


@pytest.fixture
def portal(db, world):
    """A portal inbox."""
    with db.write() as s:
        return inboxes.create(s, SYSTEM, name="Portal", channel="portal")


def test_merging_two_customers_conversations_is_refused_until_the_customers_are_merged(client, world, db):
    h = World.auth(world.agent_token)
    a = inbound(client, world.agent_token, world.api_inbox.id, address="alice@customer.test", text="Alice's secret")
    b = inbound(client, world.agent_token, world.api_inbox.id, address="bob@customer.test", text="Bob here")
    r = client.post(
        f"/api/v1/conversations/{a['conversation_id']}/merge", json={"into_id": b["conversation_id"]}, headers=h
    )
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "merge the customers first" in body["detail"]
    assert (body["source_customer_id"], body["target_customer_id"]) == (a["customer_id"], b["customer_id"])
    with db.read() as s:  # nothing moved
        assert s.get(Conversation, a["conversation_id"]).merged_into_id is None
        assert s.get(Message, a["message_id"]).conversation_id == a["conversation_id"]
    # The explicit, recorded identity decision (a supervisor merges the customers), then the conversations merge.
    sup = World.auth(world.sup_token)
    r = client.post(f"/api/v1/customers/{a['customer_id']}/merge", json={"into_id": b["customer_id"]}, headers=sup)
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/conversations/{a['conversation_id']}/merge", json={"into_id": b["conversation_id"]}, headers=h
    )
    assert r.status_code == 200 and r.json()["id"] == b["conversation_id"]


def test_the_page_form_refuses_it_too(client, world, db):
    a = inbound(client, world.agent_token, world.email_inbox.id, "alice@customer.test")["conversation_id"]
    b = inbound(client, world.agent_token, world.email_inbox.id, "bob@customer.test")["conversation_id"]
    client.follow_redirects = False
    csrf = sign_in_as(client, "alex@example.com", "agent password 1")
    r = client.post(f"/conversations/{a}/merge", data={"csrf_token": csrf, "target_id": str(b)}, follow_redirects=False)
    assert r.status_code == 409 and "merge the customers first" in r.text
    with db.read() as s:
        assert s.get(Conversation, a).merged_into_id is None


def _move(db, message_id: int, conversation_id: int) -> None:
    """What a merge made before the refusal existed: another customer's message inside this conversation."""
    with db.write() as s:
        s.execute(update(Message).where(Message.id == message_id).values(conversation_id=conversation_id))


def test_the_portal_shows_a_customer_only_their_own_messages(client, db, portal, smtp_server):
    alice = make_customer(db, portal.id, "alice@example.net", text="Alice's private order 4711")
    bob = make_customer(db, portal.id, "bob@example.net", text="Bob's question")
    with db.read() as s:
        alice_msg = s.query(Message.id).filter(Message.conversation_id == alice["conversation_id"]).scalar()
    _move(db, alice_msg, bob["conversation_id"])
    sign_in(client, db, smtp_server, "bob@example.net")
    page = client.get(f"/portal/conversations/{bob['conversation_id']}")
    assert page.status_code == 200 and "question" in page.text
    assert "4711" not in page.text


def test_the_chat_history_shows_a_visitor_only_their_own_messages(client, db, world):
    with db.write() as s:
        inboxes.create(s, SYSTEM, name="Chat", channel="chat", settings={"public_key": KEY, "allowed_origins": []})
    other = inbound(client, world.agent_token, world.api_inbox.id, address="someone@example.net", text="Private 4711")
    me = {"X-Rapport-Visitor": client.post(f"/chat/api/{KEY}/visitors", json={}).json()["token"]}
    mine = client.post(f"/chat/api/{KEY}/messages", json={"text": "Hello"}, headers=me).json()
    _move(db, other["message_id"], mine["conversation_id"])
    items = client.get(f"/chat/api/{KEY}/messages", headers=me).json()["items"]
    assert [m["text"] for m in items] == ["Hello"]


def _legacy_reply(client, db, world, conversation_id: int, text: str) -> int:
    """An agent's reply as it was stored before it named its addressee (customer_id NULL)."""
    r = client.post(
        f"/api/v1/conversations/{conversation_id}/replies", json={"text": text}, headers=World.auth(world.agent_token)
    )
    assert r.status_code == 201, r.text
    with db.write() as s:
        s.execute(update(Message).where(Message.id == r.json()["id"]).values(customer_id=None))
    return r.json()["id"]


def _legacy_merge(db, source_id: int, target_id: int) -> None:
    """A merge across customers as it was made before the refusal: every message moved, the source closed."""
    with db.write() as s:
        s.execute(update(Message).where(Message.conversation_id == source_id).values(conversation_id=target_id))
        s.execute(update(Conversation).where(Conversation.id == source_id).values(merged_into_id=target_id))


def _run_migration_0019(db) -> None:
    import importlib

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    module = importlib.import_module("rapport.migrations.versions.0019_message_addressee")
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()


def test_replies_written_to_another_customer_never_show_after_a_legacy_merge(client, db, world, portal, smtp_server):
    alice = make_customer(db, portal.id, "alice@example.net", text="Alice's order")
    bob = make_customer(db, portal.id, "bob@example.net", text="Bob's question")
    to_alice = _legacy_reply(client, db, world, alice["conversation_id"], "Alice, your card ending 4711 is refunded")
    to_bob = _legacy_reply(client, db, world, bob["conversation_id"], "Bob, here is your answer")
    _legacy_merge(db, alice["conversation_id"], bob["conversation_id"])
    _run_migration_0019(db)
    with db.read() as s:
        assert s.get(Message, to_alice).customer_id == alice["customer_id"]
        assert s.get(Message, to_bob).customer_id == bob["customer_id"]
    sign_in(client, db, smtp_server, "bob@example.net")
    page = client.get(f"/portal/conversations/{bob['conversation_id']}")
    assert page.status_code == 200 and "here is your answer" in page.text
    assert "4711" not in page.text and "Alice" not in page.text


def test_a_new_reply_names_its_addressee(client, db, world):
    got = inbound(client, world.agent_token, world.api_inbox.id, address="carol@example.net", text="Hi")
    r = client.post(
        f"/api/v1/conversations/{got['conversation_id']}/replies", json={"text": "Hello"},
        headers=World.auth(world.agent_token),
    )  # fmt: skip
    with db.read() as s:
        assert s.get(Message, r.json()["id"]).customer_id == got["customer_id"]
