"""A first end-to-end pass: inbound, list, open, reply."""

from tests.conftest import World, inbound


def test_inbound_creates_customer_and_conversation(client, world):
    first = inbound(client, world.admin_token, world.email_inbox.id, subject="My order")
    assert first["new_conversation"] is True
    second = inbound(client, world.admin_token, world.email_inbox.id, text="Any news?")
    assert second["conversation_id"] == first["conversation_id"]
    assert second["customer_id"] == first["customer_id"]
    r = client.get("/api/v1/conversations", headers=World.auth(world.agent_token))
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 1 and items[0]["message_count"] == 2 and items[0]["subject"] == "My order"
    r = client.get(
        f"/api/v1/conversations/{first['conversation_id']}?include=messages&include=events",
        headers=World.auth(world.agent_token),
    )
    body = r.json()
    assert [m["body_text"] for m in body["messages"]] == ["Hello", "Any news?"]
    # customer.created belongs to the customer's timeline, not the conversation's.
    assert [e["name"] for e in body["events"]] == ["conversation.created", "message.received", "message.received"]
