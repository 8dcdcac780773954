"""The OpenAPI document states the rules the API applies (ISSUE13: valid requests refused, invalid ones accepted).

Each test names one rule the schemathesis run (test_api_fuzz.py) found the document and the API disagreeing on.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.customers.identities import normalise
from rapport.events import registry as events
from rapport.kit.problems import Invalid
from rapport.kit.schema import MAX_INT, PHONE
from tests.conftest import World


def _doc(client) -> dict:
    return client.get("/api/v1/openapi.json").json()


def test_integer_bounds_are_exact_so_the_largest_documented_id_is_accepted(client, world):
    doc = _doc(client)
    conversation_id = doc["components"]["schemas"]["InboundIn"]["properties"]["conversation_id"]["anyOf"][0]
    # FastAPI's document model wrote 9.223372036854776e18 (2**63), one past what the API takes
    assert conversation_id["maximum"] == MAX_INT and isinstance(conversation_id["maximum"], int)
    r = client.get(f"/api/v1/customers/{MAX_INT}", headers=World.auth(world.admin_token))
    assert r.status_code == 404


def test_the_page_size_cap_is_the_setting_in_the_document_and_the_api(client, world, settings):
    doc = _doc(client)
    cap = settings.max_page_size
    for path in ("/api/v1/customers", "/api/v1/conversations", "/api/v1/customers/{customer_id}/timeline"):
        (limit,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "limit"]
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, cap)
    h = World.auth(world.admin_token)
    assert client.get(f"/api/v1/customers?limit={cap}", headers=h).status_code == 200
    customer = client.post("/api/v1/customers", json={"name": "Ana"}, headers=h).json()
    # the customer timeline clamped a limit beyond the cap, unlike every other list: now all refuse it alike
    r = client.get(f"/api/v1/customers/{customer['id']}/timeline?limit={cap + 1}", headers=h)
    assert r.status_code == 422 and "RAPPORT_MAX_PAGE_SIZE" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ana", "vip": 0}, "vip"),
        ({"name": "Ana", "vip": "true"}, "vip"),
        ({"name": "Ana", "vip": None}, "vip"),
    ],
)
def test_a_boolean_is_a_json_boolean(client, world, body, field):
    r = client.post("/api/v1/customers", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


def test_an_integer_is_a_json_integer(client, world):
    h = World.auth(world.admin_token)
    r = client.post(
        "/api/v1/tokens", json={"name": "t", "scopes": ["read"], "agent_id": str(world.admin.id)}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "agent_id"
    # 2.0 is an integer in JSON Schema, so the API takes it
    r = client.post(
        "/api/v1/tokens", json={"name": "t", "scopes": ["read"], "agent_id": float(world.admin.id)}, headers=h
    )
    assert r.status_code == 201, r.text


def test_a_405_lists_every_method_of_the_path(client, world):
    h = World.auth(world.admin_token)
    r = client.options("/api/v1/agents", headers=h)
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) >= {"GET", "POST"}
    # /agents/me is not /agents/{agent_id}: an undocumented method there is a 405, not a 422 about the id
    r = client.patch("/api/v1/agents/me", json={}, headers=h)
    assert r.status_code == 405 and "GET" in r.headers["allow"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+ ().-\t٣²", max_size=24))
def test_the_documented_phone_pattern_is_what_the_api_accepts(address):
    try:
        normalise("phone", address)
        accepted = True
    except Invalid:
        accepted = False
    assert accepted == (re.fullmatch(PHONE, address.strip()) is not None), address


def test_identity_addresses_follow_their_kind(client, world):
    h = World.auth(world.admin_token)
    ok = {"name": "Ana", "identities": [{"kind": "phone", "address": "+1 (415) 555-0100"}]}
    assert client.post("/api/v1/customers", json=ok, headers=h).status_code == 201
    for identity in ({"kind": "phone", "address": "+١٢٣٤٥٦٧"}, {"kind": "email", "address": "+14155550100"}):
        r = client.post("/api/v1/customers", json={"name": "B", "identities": [identity]}, headers=h)
        assert r.status_code == 422, identity
    sender = _doc(client)["components"]["schemas"]["InboundIn"]["properties"]["sender"]
    assert set(sender["discriminator"]["mapping"]) == {"email", "phone", "whatsapp", "chat", "external"}


def test_registry_names_are_the_documented_enum(client):
    doc = _doc(client)
    items = doc["components"]["schemas"]["EndpointIn"]["properties"]["event_types"]["items"]
    assert items["enum"] == ["*", *sorted(events.names(public=True))]


def test_an_empty_reply_is_refused_and_the_document_says_so(client, world):
    doc = _doc(client)
    assert {tuple(branch["required"]) for branch in doc["components"]["schemas"]["ReplyIn"]["anyOf"]} == {
        ("text",),
        ("html",),
        ("markdown",),
        ("attachments",),
    }
    h = World.auth(world.admin_token)
    msg = {"inbox_id": world.api_inbox.id, "sender": {"kind": "email", "address": "ana@example.com"}, "text": "Hi"}
    conversation = client.post("/api/v1/messages/inbound", json=msg, headers=h).json()["conversation_id"]
    r = client.post(f"/api/v1/conversations/{conversation}/replies", json={"text": "   "}, headers=h)
    assert r.status_code == 422
    r = client.post(f"/api/v1/conversations/{conversation}/replies", json={"markdown": "  \n "}, headers=h)
    assert r.status_code == 422
