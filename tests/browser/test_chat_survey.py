"""The chat widget's survey in a real browser, on a laptop and a phone: once the chat is solved and its survey sent,
the first question's points appear under it as buttons; one tap records the answer (nothing else needed), the
chosen point is marked and a link opens the survey page for the rest. No console error, axe clean.

Screenshots go to test-artifacts/chat-widget/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rapport.conversations import service as conversations
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, SurveyAnswer, SurveyRequest
from rapport.models.enums import Status
from rapport.surveys.send import send as send_now
from tests.browser.test_chat_widget import axe, shot
from tests.browser.test_pages_quality import VIEWPORTS, watch
from tests.browser.test_workspace import OPEN_SHADOW
from tests.surveys.conftest import agent_actor, make_survey, requests_of

pytestmark = pytest.mark.browser
KEY = "pk_browser_survey_0123456789"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_widget_shows_the_survey_and_one_tap_answers_it(new_page, db, world, server, frozen_clock, viewport):
    with db.write() as s:
        inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [server]}
        )
    make_survey(db, channels=["chat"])
    page = new_page(viewport=VIEWPORTS[viewport])
    page.add_init_script(OPEN_SHADOW)
    errors: list[str] = []
    watch(page, errors)
    page.goto(f"/chat/demo?key={KEY}")
    page.get_by_role("button", name="Chat with us").click()
    page.locator("#rc-text").fill("My parcel is late")
    page.locator("#rc-text").press("Enter")
    expect(page.locator(".log")).to_contain_text("My parcel is late")
    with db.write() as s:
        conv = s.scalar(select(Conversation.id).order_by(Conversation.id.desc()))
        conversations.reply(s, agent_actor(world), conv, text="It ships today.", status=Status.solved)
    (req,) = requests_of(db, conv)
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "sent"

    survey = page.get_by_role("group", name="How would you rate the support you received?")
    expect(survey).to_be_visible()
    best = survey.get_by_role("button", name="Very good")
    expect(best).to_have_attribute("aria-pressed", "false")
    assert best.bounding_box()["height"] >= 44 and best.bounding_box()["width"] >= 44
    assert not axe(page), axe(page)
    shot(page, f"{viewport}-survey")
    best.click()
    expect(survey.get_by_text("Thank you for your answer.")).to_be_visible()
    expect(best).to_have_attribute("aria-pressed", "true")
    more = survey.get_by_role("link", name="Answer the other questions")
    assert more.get_attribute("href").startswith(f"{server}/survey/{req.id}/rsv_")
    with db.read() as s:
        assert [(a.question, a.score) for a in s.scalars(select(SurveyAnswer))] == [("csat", 5)]
        assert s.get(SurveyRequest, req.id).state == "answered"
    assert not axe(page), axe(page)
    shot(page, f"{viewport}-survey-answered")
    # The page for the rest opens under the fresh link.
    rest = new_page(viewport=VIEWPORTS[viewport])
    rest.goto(more.get_attribute("href"))
    expect(rest.get_by_role("radio", name="Very good")).to_be_checked()
    assert not errors, errors
