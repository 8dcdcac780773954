"""WhatsApp fixtures: the local fake of Meta's Graph API, a WhatsApp inbox pointing at it, signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from tests.channels.whatsapp.fake_graph import PHONE_NUMBER_ID, TOKEN, VERSION, FakeGraph

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "verify-me-please"
CUSTOMER = "447700900123"


@pytest.fixture
def graph():
    """The fake Graph API on a free loopback port, stopped after the test; fails the test on a bad request."""
    fake = FakeGraph()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    fake.thread.join(timeout=5)
    assert fake.problems == [], f"requests that break Meta's documented format: {fake.problems}"


@pytest.fixture
def wa_inbox(db, world, graph):
    """A WhatsApp inbox configured for the fake."""
    with db.write() as s:
        inbox = inboxes.create(
            s,
            SYSTEM,
            name="WhatsApp",
            channel="whatsapp",
            address="+15550001111",
            settings={
                "phone_number_id": PHONE_NUMBER_ID,
                "access_token": TOKEN,
                "app_secret": APP_SECRET,
                "verify_token": VERIFY_TOKEN,
                "graph_version": VERSION,
                "api_base": graph.base,
                "allow_private": True,  # the fake is on loopback: allowed explicitly, past the SSRF guard
            },
        )
    return inbox


def envelope(value: dict) -> dict:
    """Meta's webhook envelope around one change value for our phone number."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def text_message(wamid: str, body: str, *, sender: str = CUSTOMER, name: str = "Jo Bloggs", **extra) -> dict:
    """A webhook carrying one text message from a customer."""
    message = {"from": sender, "id": wamid, "timestamp": str(int(now().timestamp())), "type": "text"}
    message |= {"text": {"body": body}, **extra}
    return envelope({"contacts": [{"profile": {"name": name}, "wa_id": sender}], "messages": [message]})


def media_message(wamid: str, kind: str, media: dict, *, sender: str = CUSTOMER) -> dict:
    """A webhook carrying one media message."""
    message = {"from": sender, "id": wamid, "timestamp": str(int(now().timestamp())), "type": kind, kind: media}
    return envelope({"contacts": [{"profile": {"name": "Jo Bloggs"}, "wa_id": sender}], "messages": [message]})


def status_update(wamid: str, status: str, **extra) -> dict:
    """A webhook carrying one delivery status for one of our messages."""
    item = {"id": wamid, "status": status, "timestamp": str(int(now().timestamp())), "recipient_id": CUSTOMER}
    return envelope({"statuses": [item | extra]})


def post_signed(client, payload: dict, *, secret: str = APP_SECRET, signature: str | None = None):
    """POST a webhook with Meta's X-Hub-Signature-256 over the exact bytes sent."""
    body = json.dumps(payload).encode()
    sig = signature or "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sig}
    return client.post("/channels/whatsapp/webhook", content=body, headers=headers)
