"""Survey inputs beyond the link page: a help article's address is https or a local path only (never javascript:,
data:, http: or another host by //), a callback request's text is stored as plain text, a portal customer cannot
answer another customer's survey, and a hold's reason is bounded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.models import Message, SurveyAnswer, SurveyRequest
from tests.channels.portal.conftest import csrf, make_customer, sign_in
from tests.conftest import World
from tests.surveys.conftest import make_survey
from tests.surveys.test_portal import surveyed
from tests.surveys.test_thanks import OFFERS, answered, thanks_csrf

BODY = {"name": "CSAT", "questions": [{"key": "csat", "kind": "csat", "prompt": "How did we do?"}]}


@pytest.mark.parametrize("url", ["javascript:alert(1)", " javascript:alert(1)", "data:text/html,<script>x</script>",
                                 "//evil.example/x", "http://evil.example", "https://evil.example\\@good.example",
                                 "/\\evil.example", "https://good.example@evil.example"])  # fmt: skip
def test_a_help_article_is_never_a_script_or_another_hosts_trick(client, world, url):
    r = client.post("/api/v1/surveys", json={**BODY, "rules": {"help_url": url}}, headers=World.auth(world.admin_token))
    assert r.status_code == 422, r.text


def test_a_callback_request_is_stored_as_text_and_shown_escaped(client, db, world, frozen_clock):
    request_id, token = answered(client, db, world, frozen_clock, **OFFERS)
    _, token_csrf = thanks_csrf(client, request_id, token)
    form = {"csrf_token": token_csrf, "phone": "", "when": '<img src=x onerror="alert(1)">Tuesday <b>morning</b>'}
    assert client.post(f"/survey/{request_id}/{token}/callback", data=form).status_code == 200
    with db.read() as s:
        conv = s.get(SurveyRequest, request_id).conversation_id
        note = s.scalar(select(Message).where(Message.conversation_id == conv, Message.direction == "note"))
    assert "onerror" not in note.body_text and "<b>" not in note.body_text and "Tuesday" in note.body_text
    assert "onerror" not in (note.body_html or "") and "<img" not in (note.body_html or "")


def test_a_portal_customer_cannot_answer_another_customers_survey(db, world, client, frozen_clock, smtp_server):
    make_survey(db, cooldown_days=0)
    _conv, req = surveyed(db, world, frozen_clock, world.email_inbox.id, "jo@customer.test")
    make_customer(db, world.email_inbox.id, "kim@customer.test")
    sign_in(client, db, smtp_server, "kim@customer.test")
    token = csrf(client.get("/portal/conversations").text)
    assert client.post(f"/portal/surveys/{req}", data={"csrf_token": token, "score": "5"}).status_code == 404
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.id)) is None


def test_a_holds_reason_is_bounded(client, world):
    r = client.put(
        "/api/v1/conversations/1/survey-hold", json={"reason": "x" * 201}, headers=World.auth(world.agent_token)
    )
    assert r.status_code == 422
