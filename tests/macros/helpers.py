"""What the macro tests share: a conversation to work on and a macro made through the API."""

from __future__ import annotations

from tests.conftest import World, inbound

BASE = "/api/v1/macros"


def conversation(
    client, world, *, name: str = "Jo Customer", text: str = "My parcel has not arrived", address: str = ""
) -> int:
    """A new email conversation from a customer named `name` (at `address`, else one made of the name); its id."""
    address = address or "".join(c for c in name.lower() if c.isalnum())[:30] + "@customer.test"
    got = inbound(client, world.agent_token, world.email_inbox.id, text=text, address=address)
    cid = got["conversation_id"]
    from rapport.models import Conversation, Customer  # noqa: PLC0415  (tests import models where they use them)

    db = client.app.state.db
    with db.write() as s:
        s.get(Customer, s.get(Conversation, cid).customer_id).name = name
    return cid


def make(client, token: str, **body) -> dict:
    """A macro made through the API (201 expected)."""
    r = client.post(
        BASE, json={"name": "Thanks", "body": "Hi {{ customer.first_name }}", **body}, headers=World.auth(token)
    )
    assert r.status_code == 201, r.text
    return r.json()
