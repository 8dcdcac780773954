"""The composer: formatted replies (sanitised HTML and plain text), email signatures (the agent's and the inbox's,
email only, each can be left off), Cc/Bcc on email replies (checked, bounded, counted per address), through the API
and the conversation page; nothing is written when something is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rapport.agents import service as agents
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Inbox, Message
from tests.conftest import World, inbound

FORMATTED = "Hello **Jo**,\n\n- the _new_ kettle\n- a [label](https://shop.test/label)\n\n> your words"


def _conv(client, world, **kw) -> int:
    return inbound(client, world.agent_token, world.email_inbox.id, **kw)["conversation_id"]


def _reply(client, world, cid: int, **body):
    return client.post(f"/api/v1/conversations/{cid}/replies", json=body, headers=World.auth(world.agent_token))


def _signatures(
    db, world, personal: str | None = "Alex\nSupport **team**", inbox: str | None = "[Shop](https://shop.test)"
):
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.agent.id, signature=personal)
        inboxes.update(s, SYSTEM, world.email_inbox.id, signature=inbox)


def _message(db, message_id: int) -> Message:
    with db.read() as s:
        return s.get(Message, message_id)


def _count(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Message))


def test_a_formatted_email_reply_keeps_safe_html_and_plain_text(client, world, db):
    cid = _conv(client, world)
    r = _reply(client, world, cid, markdown=FORMATTED)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["body_html"] == (
        "<p>Hello <strong>Jo</strong>,</p><ul><li>the <em>new</em> kettle</li>"
        '<li>a <a href="https://shop.test/label" rel="noopener noreferrer nofollow">label</a></li></ul>'
        "<blockquote><p>your words</p></blockquote>"
    )
    assert body["body_text"] == "Hello Jo,\n\n- the new kettle\n- a label (https://shop.test/label)\n\n> your words"


def test_markup_or_text_and_html_not_both(client, world, db):
    cid = _conv(client, world)
    before = _count(db)
    r = _reply(client, world, cid, markdown="**x**", text="x")
    assert r.status_code == 422 and "not both" in r.json()["detail"]
    assert _count(db) == before


def test_sms_and_notes_get_plain_text_and_no_signature(client, world, db):
    _signatures(db, world)
    cid = _conv(client, world)
    inbound(client, world.agent_token, world.api_inbox.id, conversation_id=cid, channel="sms",
            sender={"kind": "email", "address": "jo@customer.test"})  # fmt: skip
    sms = _reply(client, world, cid, markdown="It ships **today**: https://shop.test/t").json()
    assert sms["channel"] == "sms"
    assert sms["body_text"] == "It ships today: https://shop.test/t"  # what the SMS sender sends
    assert "<strong>today</strong>" in sms["body_html"] and "Alex" not in sms["body_text"]
    note = client.post(
        f"/api/v1/conversations/{cid}/notes",
        json={"markdown": "Check **stock**"},
        headers=World.auth(world.agent_token),
    ).json()
    assert note["body_html"] == "<p>Check <strong>stock</strong></p>" and note["body_text"] == "Check stock"


def test_an_email_reply_ends_with_both_signatures_in_both_parts(client, world, db):
    _signatures(db, world)
    cid = _conv(client, world)
    sent = _reply(client, world, cid, markdown="Sorry about that.").json()
    assert sent["body_text"] == "Sorry about that.\n\n-- \nAlex\nSupport team\n\nShop (https://shop.test)"
    assert sent["body_html"] == (
        "<p>Sorry about that.</p><p>-- </p><p>Alex<br>Support <strong>team</strong></p>"
        '<p><a href="https://shop.test" rel="noopener noreferrer nofollow">Shop</a></p>'
    )
    assert _message(db, sent["id"]).meta["signatures"] == ["personal", "inbox"]


@pytest.mark.parametrize(("kept", "shown"), [([], []), (["inbox"], ["Shop"]), (["personal"], ["Alex"])])
def test_each_signature_can_be_left_off_a_reply(client, world, db, kept, shown):
    _signatures(db, world)
    cid = _conv(client, world)
    sent = _reply(client, world, cid, text="Done.", signatures=kept).json()
    for word in ("Alex", "Shop"):
        assert (word in sent["body_text"]) == (word in shown)
    assert ("-- " in sent["body_text"]) == bool(kept)


def test_cc_and_bcc_are_stored_normalised_and_only_for_email(client, world, db):
    cid = _conv(client, world)
    sent = _reply(client, world, cid, text="Copying", cc=["Boss@Shop.test", "boss@shop.test"], bcc=["audit@shop.test"])
    assert sent.status_code == 201, sent.text
    meta = _message(db, sent.json()["id"]).meta["email"]
    assert meta["cc"] == ["boss@shop.test"] and meta["bcc"] == ["audit@shop.test"]
    inbound(client, world.agent_token, world.api_inbox.id, conversation_id=cid, channel="sms",
            sender={"kind": "email", "address": "jo@customer.test"})  # fmt: skip
    before = _count(db)
    r = _reply(client, world, cid, text="By SMS", cc=["boss@shop.test"])
    assert r.status_code == 422 and "email replies" in r.json()["detail"]
    r = client.post(f"/api/v1/conversations/{cid}/notes", json={"text": "x"}, headers=World.auth(world.agent_token))
    assert r.status_code == 201
    assert _count(db) == before + 1


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "two@x.test three@x.test", "<a@x.test>"])
def test_a_bad_address_is_refused_naming_it_and_nothing_is_written(client, world, db, address):
    cid = _conv(client, world)
    before = _count(db)
    r = _reply(client, world, cid, text="Hi", bcc=[address])
    assert r.status_code == 422 and "bcc" in r.json()["detail"]
    assert _count(db) == before


def test_the_page_shows_the_composer_and_sends_its_choices(client, world, db, signed_in):
    _signatures(db, world)
    cid = _conv(client, world)
    page = client.get(f"/conversations/{cid}").text
    for part in ('role="toolbar"', 'data-format="bold"', 'aria-pressed="false"', 'name="cc"', 'name="bcc"',
                 'name="sign" value="personal"', "Support email&#39;s signature", "/static/composer.js",
                 'data-snooze-jump', 'aria-keyshortcuts="z"'):  # fmt: skip
        assert part in page, part
    assert 'style="' not in page and "<script>" not in page
    form = {"csrf_token": signed_in, "mode": "reply", "channel": "email", "format": "markup", "text": "**Hi**",
            "cc": "boss@shop.test, second@shop.test", "bcc": "audit@shop.test", "signatures": "shown",
            "sign": "inbox"}  # fmt: skip
    r = client.post(f"/conversations/{cid}/messages", data=form, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    assert "Cc: boss@shop.test, second@shop.test · Bcc: audit@shop.test" in r.text
    with db.read() as s:
        sent = s.scalars(select(Message).where(Message.direction == "outbound")).one()
    assert sent.body_html.startswith("<p><strong>Hi</strong></p><p>-- </p>") and "Alex" not in sent.body_text
    assert sent.meta["signatures"] == ["inbox"] and sent.meta["email"]["cc"] == ["boss@shop.test", "second@shop.test"]


def test_the_page_refuses_copies_on_a_note(client, world, db, signed_in):
    cid = _conv(client, world)
    form = {"csrf_token": signed_in, "mode": "note", "format": "markup", "text": "x", "cc": "a@x.test"}
    r = client.post(f"/conversations/{cid}/messages", data=form)
    assert r.status_code == 422
    assert _count(db) == 1


def test_an_agent_sets_their_signature_on_the_profile(client, world, db, signed_in):
    r = client.post("/profile/signature", data={"csrf_token": signed_in, "signature": "Alex\n**Support**"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "Alex\n**Support**" in client.get("/profile").text
    with db.read() as s:
        assert s.get(Agent, world.agent.id).signature == "Alex\n**Support**"
    too_long = client.post("/profile/signature", data={"csrf_token": signed_in, "signature": "x" * 2001})
    assert too_long.status_code == 422 and "RAPPORT_MAX_SIGNATURE_CHARS" in too_long.text
    with db.read() as s:
        assert s.get(Agent, world.agent.id).signature == "Alex\n**Support**"
    client.post("/profile/signature", data={"csrf_token": signed_in, "signature": "  "})
    with db.read() as s:
        assert s.get(Agent, world.agent.id).signature is None


def test_signatures_through_the_api_are_bounded(client, world, db, settings):
    settings.max_signature_chars = 50
    me = World.auth(world.agent_token)
    r = client.patch(f"/api/v1/agents/{world.agent.id}", json={"signature": "Alex"}, headers=me)
    assert r.status_code == 200 and r.json()["signature"] == "Alex"
    admin = World.auth(world.admin_token)
    r = client.patch(f"/api/v1/inboxes/{world.email_inbox.id}", json={"signature": "y" * 51}, headers=admin)
    assert r.status_code == 422 and "RAPPORT_MAX_SIGNATURE_CHARS" in r.json()["detail"]
    r = client.patch(f"/api/v1/inboxes/{world.email_inbox.id}", json={"signature": "The team"}, headers=admin)
    assert r.status_code == 200 and r.json()["signature"] == "The team"
    r = client.patch(f"/api/v1/inboxes/{world.email_inbox.id}", json={"signature": "x"}, headers=me)
    assert r.status_code == 403


def test_an_admin_sets_the_inbox_signature_in_its_settings(client, world, db, admin_csrf):
    page = client.get(f"/admin/inboxes/{world.email_inbox.id}").text
    assert 'name="signature"' in page
    assert 'name="signature"' not in client.get(f"/admin/inboxes/{world.api_inbox.id}").text
    form = {"csrf_token": admin_csrf, "name": "Support email", "address": "help@example.com", "active": "on",
            "team_id": str(world.team.id), "signature": "The **Support** team"}  # fmt: skip
    r = client.post(f"/admin/inboxes/{world.email_inbox.id}", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    with db.read() as s:
        assert s.get(Inbox, world.email_inbox.id).signature == "The **Support** team"
