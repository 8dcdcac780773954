"""Sign in, lockout, sign out (here and everywhere), profile, cookie flags, CSRF, headers of workspace pages."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import Agent, AgentSession
from tests.web.pages.conftest import csrf_of


def test_front_page_sends_signed_out_visitors_to_sign_in(client, world):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/"
    page = client.get("/sign-in")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]


def test_session_cookie_flags(client, world, settings):
    settings.secure_cookies = True
    r = client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 303 and r.headers["location"] == "/"
    for flag in ("rapport_session=", "httponly", "samesite=lax", "secure", "path=/"):
        assert flag in cookie


def test_wrong_password_then_lockout_names_the_setting(client, world, settings):
    settings.login_max_attempts = 3
    for _ in range(3):
        r = client.post("/sign-in", data={"email": "alex@example.com", "password": "nope"})
        assert r.status_code == 401 and "do not match" in r.text
    r = client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    assert r.status_code == 429
    assert "RAPPORT_LOGIN_MAX_ATTEMPTS=3" in r.text and "15 minutes" in r.text
    assert "rapport_session" not in r.headers.get("set-cookie", "")


def test_open_redirect_after_sign_in_is_refused(client, world):
    r = client.post(
        "/sign-in", data={"email": "alex@example.com", "password": "agent password 1", "next": "//evil.test/x"}
    )
    assert r.headers["location"] == "/"


def test_writes_without_the_csrf_token_are_refused(client, signed_in, db):
    r = client.post("/profile", data={"availability": "online", "timezone": "UTC"})
    assert r.status_code == 403 and "security token" in r.text
    r = client.post("/profile", data={"availability": "online", "timezone": "UTC", "csrf_token": "wrong"})
    assert r.status_code == 403
    r = client.post(
        "/profile",
        data={"availability": "online", "timezone": "UTC", "csrf_token": signed_in},
        headers={"origin": "https://evil.test"},
    )
    assert r.status_code == 403 and "another site" in r.text
    with db.read() as s:
        assert s.scalar(select(Agent.availability).where(Agent.email == "alex@example.com")) == "offline"


def test_profile_sets_availability_and_timezone(client, signed_in, db):
    r = client.post("/profile", data={"availability": "away", "timezone": "Mars/Olympus", "csrf_token": signed_in})
    assert r.status_code == 422 and "not a timezone name" in r.text and 'aria-invalid="true"' in r.text
    r = client.post("/profile", data={"availability": "away", "timezone": "Europe/Berlin", "csrf_token": signed_in})
    assert r.status_code == 303
    page = client.get("/profile")
    assert "Profile saved." in page.text and 'value="Europe/Berlin"' in page.text
    assert 'value="away" checked' in page.text


def test_sign_out_everywhere_ends_every_session(client, signed_in, db, app):
    from fastapi.testclient import TestClient

    other = TestClient(app, follow_redirects=False)  # no second lifespan: the app's hub runs once
    other.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    assert other.get("/inbox/all", follow_redirects=False).status_code == 200
    r = client.post("/sign-out", data={"csrf_token": signed_in, "everywhere": "true"})
    assert r.status_code == 303
    assert other.get("/inbox/all", follow_redirects=False).status_code == 303
    assert client.get("/inbox/all", follow_redirects=False).status_code == 303
    with db.read() as s:
        assert all(row.revoked_at is not None for row in s.scalars(select(AgentSession)))


def test_sign_out_here_only(client, signed_in, app):
    from fastapi.testclient import TestClient

    other = TestClient(app, follow_redirects=False)  # no second lifespan: the app's hub runs once
    other.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    client.post("/sign-out", data={"csrf_token": signed_in})
    assert other.get("/inbox/all", follow_redirects=False).status_code == 200
    assert client.get("/inbox/all", follow_redirects=False).status_code == 303


def test_nav_registry_is_filled_by_domain_views(client, signed_in):
    from rapport.kernel import registry

    registry.domains().append(registry.Domain("zz", navigation=(registry.NavEntry("zz-test", "Test", "/zz-test"),)))
    try:
        html = client.get("/inbox/all").text
        assert 'href="/inbox"' in html and 'href="/profile"' in html and 'href="/zz-test"' in html
    finally:
        registry.domains().pop()


def test_csrf_token_is_per_session(client, signed_in, app):
    from fastapi.testclient import TestClient

    other = TestClient(app, follow_redirects=False)  # no second lifespan: the app's hub runs once
    other.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    assert csrf_of(other.get("/inbox/all").text) != signed_in
