"""Helpers for workspace page tests: redirects left to the test, a conversation to look at.

Signing in (`sign_in_as`, `signed_in`, `admin_csrf`, `supervisor_csrf`) and `csrf_of` live in tests/conftest.py.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_of, inbound, sign_in_as

__all__ = ["csrf_of", "sign_in_as"]  # imported from here by older tests


@pytest.fixture(autouse=True)
def no_redirects(request):
    """Page tests look at each redirect themselves."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").follow_redirects = False


@pytest.fixture
def conversation(client, world) -> dict:
    """An email conversation from Jo with one inbound message."""
    return inbound(client, world.agent_token, world.email_inbox.id, text="My order <b>never</b> came", subject="Order")
