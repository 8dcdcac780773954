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
