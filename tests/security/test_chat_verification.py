"""Item 8 (chat verification): only the chat that asked can complete it, by typing the mailed code (single use,
expiring, a few tries); a victim who merely opens the mail grants nothing, and the mail says what the code grants."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import ChatVerification, ChatVisitor
from rapport.worker.runner import run_due
from tests.channels.chat.conftest import KEY, SHOP
from tests.conftest import inbound

CHAT = f"/chat/api/{KEY}"
VICTIM = "victim@example.net"
SECRET = "My card ends in 4242 and I live at 1 Elm Street"


@pytest.fixture
def chat(db, world):
    """A chat inbox the shop's site embeds (as tests/channels/chat's chat_inbox)."""
    with db.write() as s:
        return inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [SHOP]}
        )


def _visitor(client) -> dict[str, str]:
    r = client.post(f"{CHAT}/visitors", json={})
    assert r.status_code == 201, r.text
    return {"X-Rapport-Visitor": r.json()["token"]}


def _texts(client, me) -> list[str]:
    return [m["text"] for m in client.get(f"{CHAT}/messages", headers=me).json()["items"]]


def _mail_text(db, smtp_server) -> str:
    run_due(db)
    return smtp_server.messages[-1].get_payload(decode=True).decode()


def _code(text: str) -> str:
    return re.search(r"Your code: (\d{6})", text).group(1)


def test_the_victim_following_the_mail_does_not_verify_the_attacker(
    client,
    db,
    world,
    chat,
    smtp_server,
):
    inbound(client, world.agent_token, world.api_inbox.id, address=VICTIM, text=SECRET)
    attacker = _visitor(client)
    client.post(f"{CHAT}/messages", json={"text": "hello"}, headers=attacker)
    assert client.post(f"{CHAT}/email", json={"email": VICTIM}, headers=attacker).status_code == 202
    text = _mail_text(db, smtp_server)
    # The victim, in their own browser, opens every link in the mail and presses every button it shows.
    victim = TestClient(client.app, base_url="http://testserver")
    for url in re.findall(r"https?://\S+", text):
        path = re.sub(r"^https?://[^/]+", "", url)
        page = victim.get(path)
        for action, fields in re.findall(r"<form[^>]*action=([^\s>]+)[^>]*>(.*?)</form>", page.text, re.S):
            data = dict(re.findall(r'name=(\w+) value="([^"]*)"', fields))
            victim.post(action.strip("\"'"), data=data)
    assert SECRET not in _texts(client, attacker)
    assert client.get(f"{CHAT}/messages", headers=attacker).json()["verified"] is False
    with db.read() as s:
        assert s.scalar(select(ChatVisitor.email_verified_at).where(ChatVisitor.email_verified_at.is_not(None))) is None


def test_the_code_completes_only_in_the_chat_that_asked(client, db, world, chat, smtp_server):
    inbound(client, world.agent_token, world.api_inbox.id, address=VICTIM, text=SECRET)
    asked = _visitor(client)
    assert client.post(f"{CHAT}/email", json={"email": VICTIM}, headers=asked).status_code == 202
    code = _code(_mail_text(db, smtp_server))
    other = _visitor(client)  # someone else's chat, even holding the code
    r = client.post(f"{CHAT}/email/confirm", json={"code": code}, headers=other)
    assert r.status_code == 409 and SECRET not in _texts(client, other)
    r = client.post(f"{CHAT}/email/confirm", json={"code": code}, headers=asked)
    assert r.status_code == 200, r.text
    assert SECRET in _texts(client, asked)
    again = client.post(f"{CHAT}/email/confirm", json={"code": code}, headers=asked)
    assert again.status_code == 409  # single use


def test_wrong_codes_are_counted_and_limited(client, db, world, chat, smtp_server, settings):
    settings.chat_verify_max_attempts = 3
    me = _visitor(client)
    client.post(f"{CHAT}/email", json={"email": VICTIM}, headers=me)
    code = _code(_mail_text(db, smtp_server))
    wrong = "000000" if code != "000000" else "111111"
    lefts = []
    for _ in range(3):
        r = client.post(f"{CHAT}/email/confirm", json={"code": wrong}, headers=me)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        lefts.append(r.json()["tries_left"])
    assert lefts == [2, 1, 0]
    with db.read() as s:  # each wrong try was committed, not rolled back with its error
        assert s.scalar(select(ChatVerification.attempts)) == 3
    r = client.post(f"{CHAT}/email/confirm", json={"code": code}, headers=me)  # even the right code now
    assert r.status_code == 429 and r.json()["setting"] == "RAPPORT_CHAT_VERIFY_MAX_ATTEMPTS"
    assert client.get(f"{CHAT}/messages", headers=me).json()["verified"] is False


def test_codes_expire_and_a_new_one_replaces_the_old(
    client,
    db,
    world,
    chat,
    smtp_server,
    settings,
    frozen_clock,
):
    me = _visitor(client)
    client.post(f"{CHAT}/email", json={"email": VICTIM}, headers=me)
    first = _code(_mail_text(db, smtp_server))
    frozen_clock[0] += timedelta(minutes=settings.chat_verify_code_minutes, seconds=1)
    r = client.post(f"{CHAT}/email/confirm", json={"code": first}, headers=me)
    assert r.status_code == 409 and "expired" in r.json()["detail"]
    client.post(f"{CHAT}/email", json={"email": VICTIM}, headers=me)
    second = _code(_mail_text(db, smtp_server))
    if first != second:
        assert client.post(f"{CHAT}/email/confirm", json={"code": first}, headers=me).status_code == 422
    assert client.post(f"{CHAT}/email/confirm", json={"code": second}, headers=me).status_code == 200


def test_the_mail_says_plainly_what_the_code_grants(client, db, world, chat, smtp_server):
    me = _visitor(client)
    client.post(f"{CHAT}/email", json={"email": VICTIM, "continue_by_email": True}, headers=me)
    text = " ".join(_mail_text(db, smtp_server).split())
    assert "Someone using the chat on shop.example" in text
    assert "asked to see your conversation history" in text
    assert "only if it was you" in text and "can read all your conversations" in text
    assert "/chat/verify" not in text  # nothing to click that could confirm for someone else
