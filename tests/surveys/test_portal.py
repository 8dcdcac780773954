"""Surveys in the customer portal: a signed-in customer sees the open surveys of their own conversations and answers
the first question in place (the session's CSRF token, on its scale; another customer's survey is not found); the
thanks page links to the survey page for the rest. A portal conversation's survey is mailed and shown there."""

from __future__ import annotations

import re

from sqlalchemy import select

from rapport.conversations import service as conversations
from rapport.models import SurveyAnswer, SurveyRequest
from rapport.models.enums import Status
from rapport.surveys.send import send as send_now
from tests.channels.portal.conftest import csrf, make_customer, portal_inbox, sign_in
from tests.surveys.conftest import agent_actor, make_survey, requests_of

assert portal_inbox  # the fixture, used by name


def surveyed(db, world, frozen_clock, inbox_id: int, email: str) -> tuple[int, int]:
    """A customer's conversation answered, solved and its survey mailed: (conversation, request)."""
    got = make_customer(db, inbox_id, email)
    conv = got["conversation_id"]
    with db.write() as s:
        conversations.reply(s, agent_actor(world), conv, text="It ships today.", status=Status.solved)
    (req,) = requests_of(db, conv)
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "sent", s.get(SurveyRequest, req.id).reason
    return conv, req.id


def test_the_customer_answers_their_survey_in_the_portal(db, world, client, frozen_clock, smtp_server):
    make_survey(db)
    conv, req = surveyed(db, world, frozen_clock, world.email_inbox.id, "jo@customer.test")
    sign_in(client, db, smtp_server, "jo@customer.test")
    page = client.get("/portal/conversations")
    assert "How did we do?" in page.text and f'action="/portal/surveys/{req}"' in page.text
    assert 'name="score" value="5" aria-pressed="false">Very good</button>' in page.text
    token = csrf(page.text)
    r = client.post(f"/portal/surveys/{req}", data={"csrf_token": token, "score": "5"})
    assert r.status_code == 200 and "Your answer is saved" in r.text
    rest = re.search(rf'href="(/survey/{req}/rsv_[^"]+)"', r.text).group(1)
    assert client.get(rest).status_code == 200
    mine = client.get(f"/portal/conversations/{conv}").text
    assert 'value="5" aria-pressed="true"' in mine  # answered: marked, and it can be changed
    assert client.post(f"/portal/surveys/{req}", data={"csrf_token": token, "score": "3"}).status_code == 200
    with db.read() as s:
        assert [(a.question, a.score) for a in s.scalars(select(SurveyAnswer))] == [("csat", 3)]


def test_only_the_customers_own_survey_with_the_session_token(db, world, client, frozen_clock, smtp_server, app):
    make_survey(db, cooldown_days=0)
    _conv, req = surveyed(db, world, frozen_clock, world.email_inbox.id, "jo@customer.test")
    make_customer(db, world.email_inbox.id, "kim@customer.test")
    sign_in(client, db, smtp_server, "kim@customer.test")
    page = client.get("/portal/conversations")
    assert "How did we do?" not in page.text
    token = csrf(page.text)
    r = client.post(f"/portal/surveys/{req}", data={"csrf_token": token, "score": "5"})
    assert r.status_code == 404
    r = client.post(f"/portal/surveys/{req}", data={"csrf_token": "forged", "score": "5"})
    assert r.status_code == 403
    for bad in ("9", "abc", "-1", "", "5<script>"):
        assert client.post(f"/portal/surveys/{req}", data={"csrf_token": token, "score": bad}).status_code in (404, 422)
    with db.read() as s:
        assert s.scalar(select(SurveyAnswer.id)) is None


def test_a_portal_conversation_is_surveyed_by_mail_and_in_the_portal(
    db, world, client, frozen_clock, smtp_server, portal_inbox
):
    make_survey(db, channels=["portal"])
    conv, req = surveyed(db, world, frozen_clock, portal_inbox.id, "jo@customer.test")
    (row,) = requests_of(db, conv)
    assert row.channel == "portal" and row.target == "jo@customer.test"
    sign_in(client, db, smtp_server, "jo@customer.test")
    assert any("How did we do?" in str(m["Subject"]) for m in smtp_server.messages)
    page = client.get(f"/portal/conversations/{conv}")
    assert f'action="/portal/surveys/{req}"' in page.text
