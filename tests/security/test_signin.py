"""Item 5 (sign-in): one limiter for the form and the API, per account and per client address, with Retry-After and
the setting named; known and unknown accounts cost the same single Argon2 verification."""

from __future__ import annotations

from datetime import timedelta

import argon2
import pytest
from fastapi.testclient import TestClient

from rapport.agents import service
from rapport.kernel.permissions import SYSTEM
from rapport.kit import secrets
from rapport.models import Agent

RIGHT = {"email": "alex@example.com", "password": "agent password 1"}
WRONG = {"email": "alex@example.com", "password": "not it"}


class CountingHasher:
    """The real hasher, recording each hash it verifies (a structural stand-in for timing: it cannot flake)."""

    def __init__(self, inner):
        self.inner, self.verified = inner, []

    def hash(self, password: str) -> str:  # noqa: D102
        return self.inner.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:  # noqa: D102
        self.verified.append(password_hash)
        return self.inner.verify(password_hash, password)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(secrets._hasher)
    monkeypatch.setattr(secrets, "_hasher", counting)
    return counting


def _from(client, host: str) -> TestClient:
    return TestClient(client.app, base_url="http://testserver", follow_redirects=False, client=(host, 40000))


def _api(browser, body):
    return browser.post("/api/v1/session", json=body)


def _form(browser, body):
    return browser.post("/sign-in", data=body, follow_redirects=False)


def test_known_and_unknown_accounts_verify_exactly_one_hash_alike(client, db, world, hasher):
    with db.write() as s:
        gone = service.create_agent(s, SYSTEM, name="Gone", email="gone@example.com", password="gone password 1")
        service.update_agent(s, SYSTEM, gone.id, active=False)
    with db.read() as s:
        real_hash = s.get(Agent, world.agent.id).password_hash
    cases = {
        "known, wrong password": WRONG,
        "unknown address": {"email": "nobody@example.com", "password": "not it"},
        "deactivated agent": {"email": "gone@example.com", "password": "gone password 1"},
        "agent without a password": {"email": "bo@example.com", "password": "not it"},
    }
    for name, body in cases.items():
        for send in (_api, _form):
            before = len(hasher.verified)
            r = send(client, body)
            assert r.status_code == 401, (name, r.text)
            assert len(hasher.verified) - before == 1, f"{name} via {send.__name__}: not exactly one verification"
            # Same Argon2 parameters (so the same cost) whether or not the account exists.
            assert argon2.extract_parameters(hasher.verified[-1]) == argon2.extract_parameters(real_hash), name
    before = len(hasher.verified)
    assert _api(client, RIGHT).status_code == 200
    assert len(hasher.verified) - before == 1


def test_the_api_obeys_the_lockout_the_form_counts_and_the_reverse(client, db, world, settings):
    settings.login_max_attempts = 3
    assert _form(client, WRONG).status_code == 401
    assert _api(client, WRONG).status_code == 401
    assert _form(client, WRONG).status_code == 401
    r = _api(client, RIGHT)  # the right password no longer helps
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    body = r.json()
    assert body["setting"] == "RAPPORT_LOGIN_MAX_ATTEMPTS" and "RAPPORT_LOGIN_MAX_ATTEMPTS=3" in body["detail"]
    page = _form(client, RIGHT)
    assert page.status_code == 429 and "RAPPORT_LOGIN_MAX_ATTEMPTS=3" in page.text and page.headers["retry-after"]
    assert "rapport_session" not in page.headers.get("set-cookie", "")


def test_failures_through_the_api_alone_lock_the_account(client, db, world, settings, frozen_clock):
    settings.login_max_attempts = 2
    for _ in range(2):
        assert _api(client, WRONG).status_code == 401
    assert _form(client, RIGHT).status_code == 429
    assert _api(client, RIGHT).status_code == 429
    frozen_clock[0] += timedelta(minutes=settings.login_lockout_minutes, seconds=1)
    assert _api(client, RIGHT).status_code == 200


def test_spraying_many_accounts_from_one_client_is_limited(client, db, world, settings):
    settings.login_max_attempts_per_client = 4
    sprayer = _from(client, "203.0.113.7")
    for n in range(4):
        r = _api(sprayer, {"email": f"person{n}@example.com", "password": "Summer2026!"})
        assert r.status_code == 401
    r = _api(sprayer, RIGHT)
    assert r.status_code == 429 and r.json()["setting"] == "RAPPORT_LOGIN_MAX_ATTEMPTS_PER_CLIENT"
    assert int(r.headers["retry-after"]) > 0
    page = _form(sprayer, RIGHT)
    assert page.status_code == 429 and "RAPPORT_LOGIN_MAX_ATTEMPTS_PER_CLIENT" in page.text
    # Another client is not held up, and the accounts themselves are not locked by the spray.
    assert _api(_from(client, "198.51.100.2"), RIGHT).status_code == 200
