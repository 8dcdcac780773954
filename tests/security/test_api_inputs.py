"""Inputs that used to reach the database and end in a 500: NUL characters, integers beyond 64 bits, explicit nulls.

ISSUE13 "smaller findings": each is now refused at the edge with a 422 naming the field (or, for an upload's name,
cleaned), on every kind of route: the JSON API, query strings, HTML forms and the portal.
"""

from __future__ import annotations

import base64

import pytest

from tests.channels.portal.conftest import make_customer, sign_in
from tests.channels.portal.conftest import portal_inbox as portal_inbox  # a fixture
from tests.conftest import World, inbound
from tests.web.pages.conftest import csrf_of

HUGE = 2**64 + 1
PROBLEM = "application/problem+json"


@pytest.fixture
def signed_in(client, world) -> str:
    """The client signed in as Alex Agent through the form; returns the session's CSRF token."""
    r = client.post(
        "/sign-in", data={"email": "alex@example.com", "password": "agent password 1"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/inbox/all").text)


def _refused(r, field: str | None = None) -> None:
    assert r.status_code == 422, (r.status_code, r.text)
    if r.headers["content-type"] == PROBLEM and field:
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()


@pytest.mark.parametrize("param", ["tag", "category", "cursor"])
def test_nul_in_conversation_filters(client, world, param):
    r = client.get(f"/api/v1/conversations?{param}=a%00b", headers=World.auth(world.admin_token))
    _refused(r)


def test_nul_in_the_quarantine_reason_filter(client, world):
    _refused(client.get("/api/v1/email/quarantine?reason=x%00", headers=World.auth(world.admin_token)))


def test_nul_in_a_json_string(client, world):
    conv = inbound(client, world.agent_token, world.api_inbox.id)["conversation_id"]
    r = client.post(
        f"/api/v1/conversations/{conv}/notes", json={"text": "a\x00b"}, headers=World.auth(world.admin_token)
    )
    _refused(r, "text")
    r = client.post(
        "/api/v1/customers", json={"name": "Jo", "attributes": {"k": ["\x00"]}}, headers=World.auth(world.admin_token)
    )
    _refused(r, "attributes")


def test_nul_in_an_uploaded_filename_is_refused_or_cleaned(client, world, signed_in):
    conv = inbound(client, world.agent_token, world.api_inbox.id)["conversation_id"]
    data = base64.b64encode(b"hello").decode()
    r = client.post(
        f"/api/v1/conversations/{conv}/notes",
        json={"text": "see file", "attachments": [{"filename": "a\x00.txt", "data": data}]},
        headers=World.auth(world.admin_token),
    )
    _refused(r, "attachments")
    # Sent raw: an HTTP client would percent-encode the NUL in the name; a hostile one does not.
    boundary = "rapportboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nsee file\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="mode"\r\n\r\nnote\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="evil\x00.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\ntracking 123\r\n--{boundary}--\r\n"
    ).encode()
    r = client.post(
        f"/conversations/{conv}/messages",
        content=body,
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "hx-request": "true",
            "x-csrf-token": signed_in,
        },
    )
    assert r.status_code == 200, r.text
    assert "evil.txt" in r.text


def test_nul_in_a_form_field(client, world, signed_in):
    conv = inbound(client, world.agent_token, world.api_inbox.id)["conversation_id"]
    r = client.post(
        f"/conversations/{conv}/messages",
        data={"text": "a\x00b", "mode": "note"},
        headers={"hx-request": "true", "x-csrf-token": signed_in},
    )
    assert r.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/conversations?customer_id={HUGE}",
        f"/api/v1/conversations/{HUGE}",
        f"/api/v1/conversations/{HUGE}/messages",
        f"/api/v1/customers?cursor={HUGE}",
        f"/api/v1/customers/{HUGE}",
        "/api/v1/customers/{customer}/timeline?before=" + str(HUGE),
        f"/api/v1/agents/{HUGE}",
        f"/api/v1/webhooks/{HUGE}/deliveries",
        f"/api/v1/search?q=x&customer_id={HUGE}",
    ],
)
def test_integers_beyond_64_bits_in_paths_and_queries(client, world, url):
    customer = inbound(client, world.agent_token, world.api_inbox.id)["customer_id"]
    _refused(client.get(url.format(customer=customer), headers=World.auth(world.admin_token)))


def test_integers_beyond_64_bits_in_bodies(client, world):
    conv = inbound(client, world.agent_token, world.api_inbox.id)["conversation_id"]
    h = World.auth(world.admin_token)
    _refused(client.post(f"/api/v1/conversations/{conv}/merge", json={"into_id": HUGE}, headers=h), "into_id")
    _refused(client.patch(f"/api/v1/conversations/{conv}", json={"assignee_id": HUGE}, headers=h), "assignee_id")
    body = {"inbox_id": HUGE, "sender": {"kind": "email", "address": "jo@customer.test"}, "text": "Hi"}
    _refused(client.post("/api/v1/messages/inbound", json=body, headers=h), "inbox_id")
    _refused(client.post("/api/v1/customers", json={"attributes": {"n": HUGE}}, headers=h), "attributes")


def test_a_portal_conversation_id_beyond_64_bits(client, db, portal_inbox, smtp_server):
    make_customer(db, portal_inbox.id, "jo@example.net")
    sign_in(client, db, smtp_server, "jo@example.net")
    r = client.get(f"/portal/conversations/{HUGE}", follow_redirects=False)
    assert r.status_code in (404, 422), r.status_code
    r = client.get("/portal/conversations/1%00", follow_redirects=False)
    assert r.status_code in (404, 422), r.status_code


def test_a_workspace_page_id_beyond_64_bits(client, world, signed_in):
    for url in (f"/conversations/{HUGE}", f"/customers/{HUGE}", f"/admin/agents/{HUGE}"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code in (403, 404, 422), (url, r.status_code)


@pytest.mark.parametrize(
    "path,field",
    [
        ("/api/v1/agents/{agent}", "name"),
        ("/api/v1/agents/{agent}", "role"),
        ("/api/v1/agents/{agent}", "active"),
        ("/api/v1/agents/{agent}", "team_ids"),
        ("/api/v1/customers/{customer}", "name"),
        ("/api/v1/customers/{customer}", "vip"),
        ("/api/v1/customers/{customer}", "attributes"),
        ("/api/v1/inboxes/{inbox}", "name"),
        ("/api/v1/inboxes/{inbox}", "settings"),
        ("/api/v1/inboxes/{inbox}", "active"),
        ("/api/v1/teams/{team}", "name"),
        ("/api/v1/teams/{team}", "description"),
        ("/api/v1/webhooks/{webhook}", "url"),
        ("/api/v1/webhooks/{webhook}", "event_types"),
        ("/api/v1/webhooks/{webhook}", "active"),
        ("/api/v1/conversations/{conversation}", "status"),
        ("/api/v1/conversations/{conversation}", "priority"),
        ("/api/v1/conversations/{conversation}", "subject"),
    ],
)
def test_explicit_null_for_a_field_that_cannot_be_null(client, world, path, field):
    h = World.auth(world.admin_token)
    got = inbound(client, world.agent_token, world.api_inbox.id)
    hook = client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "allow_private": True},
        headers=h,
    )
    assert hook.status_code == 201, hook.text
    url = path.format(
        agent=world.agent.id,
        customer=got["customer_id"],
        inbox=world.api_inbox.id,
        team=world.team.id,
        webhook=hook.json()["id"],
        conversation=got["conversation_id"],
    )
    _refused(client.patch(url, json={field: None}, headers=h), field)


def _params(dependant):
    yield from (*dependant.path_params, *dependant.query_params, *dependant.header_params, *dependant.cookie_params)
    for sub in dependant.dependencies:
        yield from _params(sub)


def test_every_integer_parameter_of_every_route_is_bounded(app):
    """Structural: a route added with a bare `int` path or query parameter (not kit.schema.Id / Int) fails here."""
    from fastapi.routing import iter_route_contexts

    unbounded = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        for param in _params(dependant):
            value, errors = param.validate(str(HUGE), {}, loc=("query", param.name))
            if not errors and isinstance(value, int) and not isinstance(value, bool):
                unbounded.append(f"{route.path} {param.name}")
    assert unbounded == [], unbounded


def test_nul_in_a_header_value(client, world):
    body = {"inbox_id": world.api_inbox.id, "sender": {"kind": "email", "address": "jo@customer.test"}, "text": "Hi"}
    h = World.auth(world.admin_token) | {"Idempotency-Key": "key\x00"}
    r = client.post("/api/v1/messages/inbound", json=body, headers=h)
    assert r.status_code == 422, r.text
