"""Cc and Bcc of an email reply: a line break (or any control character) in an address is refused before anything is
written, through the API and the conversation page, and a stored one is never sent; Bcc addresses are in the SMTP
envelope only, never in a header; copies are bounded in number and each spends from the per-address mail budget (no
mail bomb by Cc). The composer's markup never puts script into the stored or shown HTML; a signature is set only by
its agent (or an admin), with the form's token, and shown sanitised."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Message, RateHit
from rapport.worker.runner import run_due
from tests.conftest import World, inbound
from tests.security.test_email_headers import _headers

INJECTIONS = [
    "boss@shop.test\r\nBcc: evil@attacker.test",
    "boss@shop.test\nX-Evil: 1",
    "boss@shop.test\rTo: evil@attacker.test",
    "boss@shop.test\x85Bcc: evil@attacker.test",
    "boss@shop.test\u2028Bcc: evil@attacker.test",
    "boss@shop.test\x0bX-Evil: 1",
]


@pytest.fixture
def mailbox(db, world, smtp_server):
    """The world's email inbox, sending through the test's real SMTP server."""
    settings = {"smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "plain", "allow_private": True}}
    with db.write() as s:
        return inboxes.update(s, SYSTEM, world.email_inbox.id, settings=settings)


def _conv(client, world) -> int:
    return inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]


def _reply(client, world, cid: int, **body):
    return client.post(f"/api/v1/conversations/{cid}/replies", json=body, headers=World.auth(world.agent_token))


def _messages(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Message))


@pytest.mark.parametrize("field", ["cc", "bcc"])
@pytest.mark.parametrize("address", INJECTIONS)
def test_a_line_break_in_an_address_is_refused_by_the_api(client, world, db, field, address):
    cid = _conv(client, world)
    before = _messages(db)
    r = client.post(f"/api/v1/conversations/{cid}/replies", json={"text": "Hi", field: [address]},
                    headers=World.auth(world.agent_token))  # fmt: skip
    assert r.status_code == 422, r.text
    assert "header injection" in r.json()["detail"] and "\n" not in r.json()["detail"]
    assert _messages(db) == before


@pytest.mark.parametrize("address", INJECTIONS[:3])
def test_a_line_break_in_an_address_is_refused_by_the_page(client, world, db, signed_in, address):
    cid = _conv(client, world)
    before = _messages(db)
    form = {"csrf_token": signed_in, "mode": "reply", "channel": "email", "text": "Hi", "cc": address}
    r = client.post(f"/conversations/{cid}/messages", data=form)
    assert r.status_code == 422 and "header injection" in r.text
    assert _messages(db) == before


def test_bcc_reaches_the_envelope_only_and_cc_is_a_header(client, world, db, mailbox, smtp_server):
    cid = _conv(client, world)
    r = client.post(
        f"/api/v1/conversations/{cid}/replies",
        json={"markdown": "See **you**", "cc": ["boss@shop.test"], "bcc": ["audit@shop.test", "boss@shop.test"]},
        headers=World.auth(world.agent_token),
    )
    assert r.status_code == 201, r.text
    run_due(db)
    (envelope,) = smtp_server.envelopes
    # Bcc to a Cc address too: that mailbox gets the mail once (and stays in Cc).
    assert envelope.rcpt_tos == ["jo@customer.test", "boss@shop.test", "audit@shop.test"]
    headers = _headers(envelope.content)
    assert ("cc", " boss@shop.test") in headers
    assert not [v for name, v in headers if name == "bcc" or "audit@" in v]
    assert b"audit@shop.test" not in envelope.content


def test_a_stored_address_with_a_line_break_is_never_sent(client, world, db, mailbox, smtp_server):
    cid = _conv(client, world)
    sent = client.post(f"/api/v1/conversations/{cid}/replies", json={"text": "Hi", "cc": ["boss@shop.test"]},
                       headers=World.auth(world.agent_token)).json()  # fmt: skip
    with db.write() as s:  # as if a row had been written around the checks
        message = s.get(Message, sent["id"])
        message.meta = {**message.meta, "email": {"cc": ["boss@shop.test\r\nBcc: evil@attacker.test"]}}
    run_due(db)
    assert smtp_server.envelopes == []
    with db.read() as s:
        message = s.get(Message, sent["id"])
    assert message.delivery_status == "failed" and "header injection" in message.delivery_error


def test_markup_puts_no_script_into_the_stored_or_shown_html(client, world, db, signed_in):
    cid = _conv(client, world)
    evil = '<script>alert(1)</script> **<img src=x onerror=alert(2)>** [x](javascript:alert(3)) [y](https://ok.test/"onclick="z)'
    form = {"csrf_token": signed_in, "mode": "note", "format": "markup", "text": evil}
    page = client.post(f"/conversations/{cid}/messages", data=form, headers={"HX-Request": "true"}).text
    with db.read() as s:
        stored = s.scalars(select(Message.body_html).where(Message.direction == "note")).one()
    for html in (stored, page):
        assert "<script>" not in html and "<img" not in html and 'href="javascript' not in html
        assert 'onclick="' not in html


def test_only_the_agent_sets_their_signature_and_only_with_the_forms_token(client, world, db, signed_in):
    r = client.post("/profile/signature", data={"signature": "Forged"}, follow_redirects=False)
    assert r.status_code == 403
    other = client.patch(f"/api/v1/agents/{world.agent2.id}", json={"signature": "Forged"},
                         headers=World.auth(world.agent_token))  # fmt: skip
    assert other.status_code == 403
    with db.read() as s:
        assert s.get(Agent, world.agent.id).signature is None and s.get(Agent, world.agent2.id).signature is None


def test_a_signature_is_shown_sanitised_in_the_composer(client, world, db, signed_in):
    with db.write() as s:
        inboxes.update(s, SYSTEM, world.email_inbox.id, signature="<script>alert(1)</script>[x](javascript:alert(2))")
    page = client.get(f"/conversations/{_conv(client, world)}").text
    preview = page.split('class="signature-preview"', 1)[1].split("</div>", 1)[0]
    assert "<script>" not in preview and "href" not in preview and "&lt;script&gt;" in preview


def test_the_number_of_copies_is_bounded_by_a_setting(client, world, db, settings):
    settings.max_mail_recipients = 2
    cid = _conv(client, world)
    r = _reply(client, world, cid, text="Hi", cc=["a@x.test", "b@x.test"], bcc=["c@x.test"])
    assert r.status_code == 422 and "RAPPORT_MAX_MAIL_RECIPIENTS" in r.json()["detail"]
    assert _reply(client, world, cid, text="Hi", cc=["a@x.test"], bcc=["b@x.test", "a@x.test"]).status_code == 201


def test_every_copy_is_counted_per_normalised_address(client, world, db, settings):
    settings.mail_per_address_per_hour = 1
    cid = _conv(client, world)
    assert _reply(client, world, cid, text="One", cc=["jo.smith+x@gmail.com"]).status_code == 201
    before = _messages(db)
    r = _reply(client, world, cid, text="Two", bcc=["other@x.test", "josmith@gmail.com"])
    assert r.status_code == 429 and "RAPPORT_MAIL_PER_ADDRESS_PER_HOUR" in r.json()["detail"]
    assert _messages(db) == before
    with db.read() as s:  # the refused reply counted nothing, other@x.test included
        assert s.scalar(select(func.count()).select_from(RateHit).where(RateHit.key == "other@x.test")) == 0
