"""The webhook admin pages: admins only, the secret shown once, errors next to the field, test and redeliver by htmx."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from rapport.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_of, sign_in_as
from tests.webhooks.conftest import work

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def no_redirects(client):
    """Page tests look at each redirect themselves."""
    client.follow_redirects = False


@pytest.fixture
def admin(client, world) -> str:
    """The client signed in as Ada Admin; returns the CSRF token."""
    return sign_in_as(client, "ada@example.com", "correct horse battery", next="/", page="/admin/webhooks")


def _create(client, csrf, url, *, types=("message.received",), allow_private=True, active=True):
    data = {"csrf_token": csrf, "url": url, "description": "CRM sync", "event_types": list(types)}
    if allow_private:
        data["allow_private"] = "true"
    if active:
        data["active"] = "true"
    return client.post("/admin/webhooks", data=data)


def test_an_agent_sees_no_webhooks_entry_and_is_refused(client, world):
    r = client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    assert r.status_code == 303
    assert "/admin/webhooks" not in client.get("/inbox/all").text
    for path in ("/admin/webhooks", "/admin/webhooks/new"):
        r = client.get(path)
        assert r.status_code == 403 and "admin" in r.text
    csrf = csrf_of(client.get("/profile").text)
    r = _create(client, csrf, "http://127.0.0.1:9/hooks")
    assert r.status_code == 403
    with client.app.state.db.read() as s:
        assert s.scalars(select(WebhookEndpoint)).all() == []


def test_admin_creates_an_endpoint_and_sees_its_secret_once(client, admin, db):
    listing = client.get("/admin/webhooks")
    assert 'href="/admin/webhooks"' in listing.text and "No webhook endpoints yet" in listing.text
    assert 'href="/admin/webhooks/new"' in listing.text
    form = client.get("/admin/webhooks/new")
    assert form.status_code == 200
    assert 'value="conversation.status_changed"' in form.text and "<legend>Conversation</legend>" in form.text
    assert "cloud metadata" in form.text  # the warning beside "allow private networks"
    r = _create(client, admin, "http://127.0.0.1:9/hooks")
    assert r.status_code == 200 and "Endpoint created" in r.text
    with db.read() as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
    assert endpoint.secret in r.text and endpoint.event_types == ["message.received"] and endpoint.allow_private
    page = client.get(f"/admin/webhooks/{endpoint.id}")
    assert page.status_code == 200 and endpoint.url in page.text
    assert endpoint.secret not in page.text and endpoint.secret not in client.get("/admin/webhooks").text
    assert "No deliveries yet" in page.text


def test_a_refused_url_is_explained_next_to_the_field(client, admin, db):
    for url, reason in [
        ("http://127.0.0.1:8080/", "loopback"),
        ("http://10.0.0.7/hook", "private-network"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/", "loopback"),
        ("http://localhost/hook", "loopback"),
    ]:
        r = _create(client, admin, url, allow_private=False)
        assert r.status_code == 422, url
        error = re.search(r'<p class="error" id="url-error">([^<]+)</p>', r.text)
        assert error and reason in error.group(1), (url, r.text)
        assert 'aria-invalid="true"' in r.text and f'value="{url}"' in r.text.replace("&#34;", '"')
    r = _create(client, admin, "http://127.0.0.1:9/", types=[])
    assert r.status_code == 422 and 'id="events-error"' in r.text and 'id="url-error"' not in r.text
    r = _create(client, admin, "http://127.0.0.1:9/", types=[], allow_private=False)  # both wrong: both said
    assert re.search(r'id="events-error">Choose at least one', r.text) and re.search(
        r'id="url-error">[^<]+loopback', r.text
    )
    with db.read() as s:
        assert s.scalars(select(WebhookEndpoint)).all() == []


def test_edit_rotate_and_delete(client, admin, db):
    _create(client, admin, "http://127.0.0.1:9/hooks")
    with db.read() as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
    edit = client.get(f"/admin/webhooks/{endpoint.id}/edit")
    assert edit.status_code == 200 and 'value="message.received" checked' in edit.text
    r = client.post(
        f"/admin/webhooks/{endpoint.id}",
        data={"csrf_token": admin, "url": "http://127.0.0.1:9/hooks", "event_types": ["*"], "allow_private": "true"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/admin/webhooks/{endpoint.id}"
    r = client.post(
        f"/admin/webhooks/{endpoint.id}",
        data={"csrf_token": admin, "url": "http://127.0.0.1:9/hooks", "event_types": ["*"], "active": "true"},
    )
    assert r.status_code == 422 and "loopback" in r.text  # turning the private-network opt-in off is checked
    with db.read() as s:
        saved = s.get(WebhookEndpoint, endpoint.id)
    assert saved.event_types == ["*"] and not saved.active and saved.allow_private
    rotated = client.post(f"/admin/webhooks/{endpoint.id}/rotate", data={"csrf_token": admin}, headers=HTMX)
    with db.read() as s:
        secret = s.get(WebhookEndpoint, endpoint.id).secret
    assert rotated.status_code == 200 and secret != endpoint.secret and secret in rotated.text
    assert "<html" not in rotated.text  # a fragment for the page's secret slot
    r = client.post(f"/admin/webhooks/{endpoint.id}/delete", data={"csrf_token": admin})
    assert r.status_code == 303 and r.headers["location"] == "/admin/webhooks"
    with db.read() as s:
        assert s.get(WebhookEndpoint, endpoint.id) is None


def test_writes_need_the_csrf_token(client, admin, db):
    _create(client, admin, "http://127.0.0.1:9/hooks")
    with db.read() as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
    for path in ("/test", "/rotate", "/delete"):
        r = client.post(f"/admin/webhooks/{endpoint.id}{path}", data={"csrf_token": "wrong"})
        assert r.status_code == 403, path
    with db.read() as s:
        assert s.get(WebhookEndpoint, endpoint.id).secret == endpoint.secret
        assert s.scalars(select(WebhookDelivery)).all() == []


def test_test_event_log_filter_and_redeliver(client, admin, db, started, receiver):
    receiver.statuses = [500]
    _create(client, admin, receiver.url)
    with db.read() as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
    base = f"/admin/webhooks/{endpoint.id}"
    r = client.post(f"{base}/test", data={"csrf_token": admin}, headers=HTMX)
    assert r.status_code == 200 and "Test event queued" in r.text
    assert 'hx-trigger="every 3s"' in r.text  # the log follows the pending delivery
    work(db)
    page = client.get(base)
    assert "HTTP 500" in page.text and '<span class="state dead">dead</span>' in page.text
    assert 'hx-trigger="every 3s"' not in page.text
    dead = client.get(f"{base}/deliveries?state=dead", headers=HTMX)
    assert dead.status_code == 200 and "webhook.test" in dead.text and "<html" not in dead.text
    assert "No delivered deliveries" in client.get(f"{base}/deliveries?state=delivered", headers=HTMX).text
    assert client.get(f"{base}/deliveries?state=bogus", headers=HTMX).status_code == 422
    with db.read() as s:
        delivery = s.scalars(select(WebhookDelivery)).one()
    r = client.post(
        f"{base}/deliveries/{delivery.id}/redeliver", data={"csrf_token": admin, "state": "dead"}, headers=HTMX
    )
    assert r.status_code == 200 and f"Delivery {delivery.id} will be sent again now." in r.text
    work(db)
    page = client.get(base)
    assert '<span class="state delivered">delivered</span>' in page.text and len(receiver.requests) == 2
