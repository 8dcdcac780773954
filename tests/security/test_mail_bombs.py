"""Item 6 (mail bombs by proxy): every action that mails an address someone typed is limited per normalised target
address and per client, the limit named in a 429 with Retry-After; only that many mails reach the SMTP server."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.worker.runner import run_due
from tests.channels.chat.conftest import KEY, SHOP
from tests.channels.portal.conftest import csrf, make_customer

CHAT = f"/chat/api/{KEY}"
VICTIM_VARIANTS = ["victim@example.net", "Victim+1@Example.NET", "VICTIM+chat@example.net", "victim+x@EXAMPLE.net"]


@pytest.fixture
def chat(db, world):
    """A chat inbox the shop's site embeds (as tests/channels/chat's chat_inbox)."""
    with db.write() as s:
        return inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [SHOP]}
        )


@pytest.fixture
def portal(db, world):
    """The portal inbox."""
    with db.write() as s:
        return inboxes.create(s, SYSTEM, name="Portal", channel="portal")


def _from(client, host: str) -> TestClient:
    return TestClient(client.app, base_url="http://testserver", follow_redirects=False, client=(host, 40000))


def _chat_visitor(browser) -> dict[str, str]:
    r = browser.post(f"{CHAT}/visitors", json={})
    assert r.status_code == 201, r.text
    return {"X-Rapport-Visitor": r.json()["token"]}


@pytest.mark.parametrize(
    ("typed", "mailbox"),
    [
        ("Pat@Example.NET", "pat@example.net"),
        ("pat+shop@example.net", "pat@example.net"),
        (" PAT+a+b@example.net ", "pat@example.net"),
        ("p.a.t+x@GoogleMail.com", "pat@gmail.com"),
        ("pat@bücher.example", "pat@xn--bcher-kva.example"),
        ("pat@BÜCHER.example.", "pat@xn--bcher-kva.example"),
    ],
)
def test_addresses_are_counted_by_the_mailbox_they_reach(typed, mailbox):
    from rapport.kit.ratelimit import mail_target

    assert mail_target(typed) == mailbox


def test_chat_codes_to_one_victim_from_many_visitors_and_clients_are_limited(
    client,
    db,
    world,
    chat,
    smtp_server,
    settings,
):
    settings.mail_per_address_per_hour = 3
    sent, refused = 0, None
    for n in range(12):  # three "people" (client addresses), four visitors each, every spelling of the victim
        browser = _from(client, f"203.0.113.{n % 3 + 1}")
        r = browser.post(f"{CHAT}/email", json={"email": VICTIM_VARIANTS[n % 4]}, headers=_chat_visitor(browser))
        if r.status_code == 202:
            sent += 1
        else:
            refused = r
            assert r.status_code == 429, r.text
    assert sent == 3 and refused is not None
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["setting"] == "RAPPORT_MAIL_PER_ADDRESS_PER_HOUR"
    assert "RAPPORT_MAIL_PER_ADDRESS_PER_HOUR" in refused.json()["detail"]
    run_due(db)
    assert len(smtp_server.messages) == 3


def test_one_client_cannot_mail_many_addresses(client, db, world, chat, smtp_server, settings):
    settings.mail_per_client_per_hour = 2
    browser = _from(client, "203.0.113.50")
    codes = [
        browser.post(f"{CHAT}/email", json={"email": f"someone{n}@example.net"}, headers=_chat_visitor(browser))
        for n in range(4)
    ]
    assert [r.status_code for r in codes] == [202, 202, 429, 429]
    assert codes[-1].json()["setting"] == "RAPPORT_MAIL_PER_CLIENT_PER_HOUR"
    # Another client is not held up by it.
    other = _from(client, "198.51.100.9")
    assert other.post(f"{CHAT}/email", json={"email": "x@example.net"}, headers=_chat_visitor(other)).status_code == 202
    run_due(db)
    assert len(smtp_server.messages) == 3


def test_portal_receipts_to_tag_variants_are_limited(client, db, portal, smtp_server, settings):
    settings.mail_per_address_per_hour = 2
    settings.portal_requests_per_hour = 100  # the mail limit is the one under test
    statuses = []
    for n, email in enumerate(VICTIM_VARIANTS):
        browser = _from(client, f"203.0.113.{n + 1}")
        token = csrf(browser.get("/portal/new").text)
        form = {"csrf_token": token, "name": "Not Victim", "email": email, "subject": f"Spam {n}", "message": "Hi"}
        r = browser.post("/portal/new", data=form)
        statuses.append(r.status_code)
    assert statuses == [303, 303, 429, 429]
    assert "RAPPORT_MAIL_PER_ADDRESS_PER_HOUR" in r.text and r.headers["retry-after"]
    assert "Spam 3" in r.text  # the form comes back with what was typed
    run_due(db)
    assert len(smtp_server.messages) == 2


def test_portal_sign_in_links_to_tag_variants_are_limited(
    client,
    db,
    portal,
    smtp_server,
    settings,
):
    make_customer(db, portal.id, "victim@example.net")
    settings.mail_per_address_per_hour = 2
    settings.portal_requests_per_hour = 100
    statuses = []
    for n, email in enumerate(VICTIM_VARIANTS):
        browser = _from(client, f"203.0.113.{n + 1}")
        token = csrf(browser.get("/portal/sign-in").text)
        r = browser.post("/portal/sign-in", data={"csrf_token": token, "email": email})
        statuses.append(r.status_code)
    assert statuses == [200, 200, 429, 429]
    assert "RAPPORT_MAIL_PER_ADDRESS_PER_HOUR" in r.text


def test_agent_sign_in_links_are_limited(client, db, world, smtp_server, settings):
    settings.mail_per_address_per_hour = 2
    admin = _from(client, "203.0.113.1")
    assert admin.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery"})
    token = re.search(r'name="csrf-token" content="([^"]+)"', admin.get("/profile").text).group(1)
    url = f"/admin/agents/{world.agent2.id}/invite"
    statuses = [admin.post(url, data={"csrf_token": token}).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    run_due(db)
    assert len(smtp_server.messages) == 2
