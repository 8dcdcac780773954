"""The inbound fast path and the documented route answer every request the same way."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from rapport.app import create_app
from tests.conftest import World

URL = "/api/v1/messages/inbound"


def _cases(world: World) -> list[tuple[str, dict]]:
    auth = World.auth(world.agent_token)
    good = {"inbox_id": world.api_inbox.id, "sender": {"kind": "email", "address": "pat@example.net"}, "text": "Hi"}
    return [
        ("stored", {"json": {**good, "external_id": "e-1"}, "headers": auth}),
        ("repeat external id", {"json": {**good, "external_id": "e-1"}, "headers": auth}),
        ("idempotent", {"json": good, "headers": auth | {"Idempotency-Key": "k-1"}}),
        ("idempotent replay", {"json": good, "headers": auth | {"Idempotency-Key": "k-1"}}),
        ("key reused, other body", {"json": {**good, "text": "Other"}, "headers": auth | {"Idempotency-Key": "k-1"}}),
        ("key too long", {"json": good, "headers": auth | {"Idempotency-Key": "k" * 201}}),
        ("malformed json", {"content": b"{not json", "headers": auth | {"content-type": "application/json"}}),
        ("unknown field", {"json": {**good, "colour": "red"}, "headers": auth}),
        ("wrong type", {"json": {**good, "inbox_id": "three"}, "headers": auth}),
        ("bad enum", {"json": {**good, "channel": "pigeon"}, "headers": auth}),
        ("missing body", {"headers": auth}),
        ("no token", {"json": good}),
        ("bad token", {"json": good, "headers": World.auth("rpt_nonsense")}),
        ("read-only token", {"json": good, "headers": World.auth(world.readonly_token)}),
        ("unknown inbox", {"json": {**good, "inbox_id": 999_999}, "headers": auth}),
        ("script in html", {"json": {**good, "html": "<p>x</p><script>alert(1)</script>"}, "headers": auth}),
        (
            "attachment",
            {
                "json": {
                    **good,
                    "attachments": [{"filename": "a.txt", "data": base64.b64encode(b"hello").decode()}],
                },
                "headers": auth,
            },
        ),
    ]


def _run(app, world) -> list[tuple[str, int, dict, str | None]]:
    out = []
    with TestClient(app) as client:
        for name, kwargs in _cases(world):
            r = client.post(URL, **kwargs)
            body = r.json()
            for key in ("message_id", "conversation_id", "customer_id"):
                body.pop(key, None)  # ids differ between the two runs
            out.append((name, r.status_code, body, r.headers.get("idempotent-replayed")))
    return out


@pytest.mark.parametrize("fast", [True, False])
def test_both_paths_give_the_same_answers(db, engine, settings, world, fast):
    settings.inbound_fast_path = fast
    answers = _run(create_app(settings, db=db, run_worker=False), world)
    statuses = {name: status for name, status, _, _ in answers}
    assert statuses == {
        "stored": 201,
        "repeat external id": 200,
        "idempotent": 201,
        "idempotent replay": 201,
        "key reused, other body": 422,
        "key too long": 422,
        "malformed json": 400,
        "unknown field": 422,
        "wrong type": 422,
        "bad enum": 422,
        "missing body": 422,
        "no token": 401,
        "bad token": 401,
        "read-only token": 403,
        "unknown inbox": 404,
        "script in html": 201,
        "attachment": 201,
    }
    replayed = {name for name, _, _, flag in answers if flag == "true"}
    assert replayed == {"idempotent replay"}
    fields = {name: sorted(e["field"] for e in body.get("errors", [])) for name, _, body, _ in answers}
    assert fields["unknown field"] == ["colour"]
    assert fields["wrong type"] == ["inbox_id"]
    assert fields["bad enum"] == ["channel"]
    assert fields["missing body"] == ["body"]
