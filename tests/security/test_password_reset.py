"""The "forgot password" path: the same answer for every address, limited like every mail to a typed address, a
link that works once and expires, and a new password that ends every other session."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rapport.models import AgentSession
from rapport.worker.runner import run_due
from tests.web.pages.conftest import sign_in_as

KNOWN = "alex@example.com"  # the world's agent, password "agent password 1"


def _browser(client) -> TestClient:
    return TestClient(client.app, base_url="http://testserver", follow_redirects=False)


def _ask(browser, email: str):
    return browser.post("/forgot-password", data={"email": email})


def _link(smtp_server) -> str:
    body = smtp_server.messages[-1].get_payload(decode=True).decode()
    return re.search(r"https?://[^/\s]+(/reset-password/\S+)", body).group(1)


def test_known_and_unknown_addresses_get_the_same_answer_and_only_an_agent_gets_mail(client, db, world, smtp_server):
    browser = _browser(client)
    known, unknown = _ask(browser, KNOWN), _ask(browser, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    strip = lambda page: page.text.replace(KNOWN, "X").replace("nobody@example.com", "X")  # noqa: E731
    assert strip(known) == strip(unknown)
    run_due(db)
    assert [m["To"] for m in smtp_server.messages] == [KNOWN]


def test_the_link_sets_a_new_password_once_and_ends_every_other_session(client, db, world, smtp_server):
    other = _browser(client)
    other.follow_redirects = False
    sign_in_as(other, KNOWN, "agent password 1")
    browser = _browser(client)
    _ask(browser, KNOWN)
    run_due(db)
    link = _link(smtp_server)
    assert browser.get(link).status_code == 200
    r = browser.post(link, data={"password": "a brand new password"})
    assert r.status_code == 303, r.text
    with db.read() as s:
        live = s.scalar(
            select(func.count()).where(AgentSession.agent_id == world.agent.id, AgentSession.revoked_at.is_(None))
        )
    assert live == 1  # only the session the link just opened
    assert other.get("/profile").status_code == 303  # the other browser is signed out
    again = _browser(client).post(link, data={"password": "yet another password"})
    assert again.status_code == 410 and "not valid any more" in again.text
    sign_in_as(_browser(client), KNOWN, "a brand new password")


def test_an_expired_link_does_nothing(client, db, world, smtp_server, frozen_clock, settings):
    browser = _browser(client)
    _ask(browser, KNOWN)
    run_due(db)
    link = _link(smtp_server)
    frozen_clock[0] += timedelta(minutes=settings.password_reset_minutes + 1)
    r = browser.post(link, data={"password": "a brand new password"})
    assert r.status_code == 410 and "RAPPORT_PASSWORD_RESET_MINUTES" in r.text
    sign_in_as(_browser(client), KNOWN, "agent password 1")


def test_asking_is_limited_per_address_whatever_its_spelling(client, db, world, smtp_server, settings):
    settings.mail_per_address_per_hour = 2
    browser = _browser(client)
    assert _ask(browser, KNOWN).status_code == 200
    assert _ask(browser, "Alex+x@Example.com").status_code == 200
    r = _ask(browser, "ALEX@example.com")
    assert r.status_code == 429 and "RAPPORT_MAIL_PER_ADDRESS_PER_HOUR" in r.text
    assert r.headers["Retry-After"]
    # Unknown addresses spend the same budgets, so a refusal tells nothing either.
    settings.mail_per_address_per_hour = 1
    assert _ask(browser, "ghost@example.com").status_code == 200
    assert _ask(browser, "ghost@example.com").status_code == 429
