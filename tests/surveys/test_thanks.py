"""The thanks page after answering: a help article (an https address or a path of this site, set per survey) and a
callback request that goes on the conversation as an internal note, once, with what the customer typed as text."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from rapport.models import Message, SurveyRequest
from rapport.surveys.schemas import Rules
from tests.conftest import World
from tests.surveys.conftest import answer_form, events_named, sent

OFFERS = {"help_url": "/help/returns", "help_label": "How returns work", "offer_callback": True}


def answered(client, db, world, frozen_clock, **rules) -> tuple[int, str]:
    request_id, token = sent(db, world, frozen_clock, **rules)
    r = answer_form(client, request_id, token, q_csat="2")
    assert r.status_code == 303, r.text
    return request_id, r.headers["location"].split("/")[3]


def thanks_csrf(client, request_id: int, token: str) -> tuple[str, str]:
    page = client.get(f"/survey/{request_id}/{token}/thanks")
    assert page.status_code == 200, page.text
    return page.text, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_thanks_page_offers_the_article_and_a_callback_that_becomes_a_note(client, db, world, frozen_clock):
    request_id, token = answered(client, db, world, frozen_clock, **OFFERS)
    page, csrf = thanks_csrf(client, request_id, token)
    assert '<a href="/help/returns">How returns work</a>' in page and "Call me back" in page
    form = {"csrf_token": csrf, "phone": "+44 20 7946 0000", "when": "After 5pm <script>alert(1)</script>please"}
    r = client.post(f"/survey/{request_id}/{token}/callback", data=form)
    assert r.status_code == 200 and "the team has your callback request" in r.text
    assert client.post(f"/survey/{request_id}/{token}/callback", data=form).status_code == 200  # once only
    with db.read() as s:
        conv = s.get(SurveyRequest, request_id).conversation_id
        notes = list(s.scalars(select(Message).where(Message.conversation_id == conv, Message.direction == "note")))
    assert len(notes) == 1
    assert "Number: +44 20 7946 0000" in notes[0].body_text and "After 5pm" in notes[0].body_text
    assert "<script>" not in notes[0].body_text
    assert [e.name for e in events_named(db, "survey.callback")] == ["survey.callback_requested"]


def test_a_callback_is_refused_when_not_offered_or_the_input_is_bad(client, db, world, frozen_clock):
    request_id, token = answered(client, db, world, frozen_clock)
    page, csrf = thanks_csrf(client, request_id, token)
    assert "Call me back" not in page and "help-article" not in page
    r = client.post(f"/survey/{request_id}/{token}/callback", data={"csrf_token": csrf, "phone": "1"})
    assert r.status_code == 404


def test_a_bad_phone_or_csrf_records_no_callback(client, db, world, frozen_clock):
    request_id, token = answered(client, db, world, frozen_clock, **OFFERS)
    _, csrf = thanks_csrf(client, request_id, token)
    r = client.post(f"/survey/{request_id}/{token}/callback", data={"csrf_token": csrf, "phone": "<b>call</b>"})
    assert r.status_code == 422 and "at most 40 digits" in r.text
    r = client.post(f"/survey/{request_id}/{token}/callback", data={"csrf_token": "forged", "phone": ""})
    assert r.status_code == 403
    with db.read() as s:
        assert s.get(SurveyRequest, request_id).callback_requested_at is None
        assert s.scalar(select(Message.id).where(Message.direction == "note")) is None


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "http://help.example.com", "//evil.example", "https://a b.example", "data:text/html,x",
     "https://user@evil.example", "https:///x", "/\\evil.example", "JAVASCRIPT://x.y%0aalert(1)"],
)  # fmt: skip
def test_only_https_or_a_local_path_is_a_help_article(url):
    with pytest.raises(ValidationError):
        Rules(help_url=url)


def test_the_api_and_the_form_keep_the_offers(client, world, admin_csrf, db):
    assert Rules(help_url="https://help.example.com/returns").help_url == "https://help.example.com/returns"
    body = {"name": "CSAT", "questions": [{"key": "csat", "kind": "csat", "prompt": "How did we do?"}],
            "rules": {"help_url": "javascript:alert(1)"}}  # fmt: skip
    r = client.post("/api/v1/surveys", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 422
    body["rules"] = {"help_url": "https://help.example.com/x", "offer_callback": True}
    r = client.post("/api/v1/surveys", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 201 and r.json()["version"]["rules"]["offer_callback"] is True
    editor = client.get(f"/admin/surveys/{r.json()['id']}")
    assert (
        'value="https://help.example.com/x"' in editor.text
        and 'name="offer_callback" value="yes" checked' in editor.text
    )
