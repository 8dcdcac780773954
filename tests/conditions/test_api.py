"""Conditions from outside: the API list's `where` and its plain filters, and the 422 a bad condition gets."""

from __future__ import annotations

import json

import pytest

from rapport.config import Settings, use_settings
from tests.conftest import World, inbound


def _list(client, world, **params):
    return client.get("/api/v1/conversations", params=params, headers=World.auth(world.agent_token))


def test_where_filters_with_the_plain_parameters(client, world):
    a = inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test")["conversation_id"]
    b = inbound(client, world.agent_token, world.api_inbox.id, "b@customer.test")["conversation_id"]
    h = World.auth(world.sup_token)
    client.patch(f"/api/v1/conversations/{b}", headers=h, json={"priority": "urgent", "add_tags": ["refund"]})
    urgent_or_email = {
        "any": [
            {"field": "priority", "op": "eq", "value": "urgent"},
            {"field": "channel", "op": "eq", "value": "email"},
        ]
    }
    ids = lambda r: {c["id"] for c in r.json()["items"]}  # noqa: E731
    assert ids(_list(client, world, where=json.dumps(urgent_or_email))) == {a, b}
    assert ids(_list(client, world, where=json.dumps(urgent_or_email), inbox_id=world.api_inbox.id)) == {b}
    no_refund = {"not": {"field": "tag", "op": "has", "value": "refund"}}
    assert ids(_list(client, world, where=json.dumps(no_refund))) == {a}
    assert ids(_list(client, world, tag="REFUND")) == {b}


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ({"field": "mood", "op": "eq", "value": "x"}, "unknown field 'mood'"),
        ({"field": "team", "op": "has", "value": 1}, "field 'team' takes the operators"),
        ({"field": "team", "op": "eq", "value": "three"}, "team takes an id"),
        ({"field": "created_at", "op": "since", "value": "yesterday"}, "ISO 8601"),
        ({"field": "status", "op": "is_set"}, "field 'status' takes the operators"),
        ({"all": [{"field": "status", "op": "in", "value": ["open", "later"]}]}, "status must be one of"),
        ({"every": []}, "expected all, any, not or a field"),
        (
            {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"field": "vip", "op": "eq", "value": True}}}}}}}},
            "RAPPORT_CONDITION_MAX_DEPTH",
        ),
        ({"any": [{"field": "vip", "op": "eq", "value": True}] * 41}, "RAPPORT_CONDITION_MAX_LEAVES"),
        ({"field": "team", "op": "in", "value": list(range(1, 102))}, "RAPPORT_CONDITION_MAX_VALUES"),
    ],
)
def test_a_bad_condition_is_a_422_naming_the_problem(client, world, where, says):
    r = _list(client, world, where=json.dumps(where))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert says in r.json()["detail"], r.json()
    assert r.json()["errors"][0]["field"].startswith("where")


def test_where_must_be_json(client, world):
    r = _list(client, world, where="status=open")
    assert r.status_code == 422 and "where is not JSON" in r.json()["detail"]


def test_the_limits_are_settings(client, world, settings):
    use_settings(Settings(**{**settings.model_dump(), "condition_max_leaves": 2}))
    three = {"all": [{"field": "vip", "op": "eq", "value": True}] * 3}
    try:
        r = _list(client, world, where=json.dumps(three))
    finally:
        use_settings(settings)
    assert r.status_code == 422 and "more than 2 tests (RAPPORT_CONDITION_MAX_LEAVES)" in r.json()["detail"]
