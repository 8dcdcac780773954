"""Helpers for workspace page tests: sign an agent in through the form, read the CSRF token off a page."""

from __future__ import annotations

import re

import pytest

from tests.conftest import inbound


def csrf_of(html: str) -> str:
    """The CSRF token a workspace page carries."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture(autouse=True)
def no_redirects(request):
    """Page tests look at each redirect themselves."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").follow_redirects = False


@pytest.fixture
def signed_in(client, world):
    """The client signed in as Alex Agent (password sign-in through the form); returns the CSRF token."""
    r = client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1", "next": "/inbox"})
    assert r.status_code == 303, r.text
    page = client.get("/inbox/all")
    assert page.status_code == 200
    return csrf_of(page.text)


@pytest.fixture
def conversation(client, world) -> dict:
    """An email conversation from Jo with one inbound message."""
    return inbound(client, world.agent_token, world.email_inbox.id, text="My order <b>never</b> came", subject="Order")


def sign_in_as(client, email: str, password: str) -> str:
    """Sign the client in through the form; returns the session's CSRF token."""
    r = client.post("/sign-in", data={"email": email, "password": password, "next": "/admin"})
    assert r.status_code == 303, r.text
    page = client.get("/profile")
    assert page.status_code == 200
    return csrf_of(page.text)


@pytest.fixture
def admin_csrf(client, world) -> str:
    """The client signed in as Ada Admin; returns the CSRF token."""
    return sign_in_as(client, "ada@example.com", "correct horse battery")


@pytest.fixture
def supervisor_csrf(client, db, world) -> str:
    """The client signed in as Sam Super (given a password first); returns the CSRF token."""
    from rapport.agents import service
    from rapport.kernel.permissions import SYSTEM

    with db.write() as s:
        service.update_agent(s, SYSTEM, world.supervisor.id, password="supervisor pass 1")
    return sign_in_as(client, "sam@example.com", "supervisor pass 1")
