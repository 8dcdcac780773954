"""The lean read path (web/lean.py) and the documented FastAPI routes answer every request the same way."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from rapport.app import create_app
from rapport.web.lean import LeanReads
from tests.conftest import World


def _paths(cid: int) -> list[tuple[str, str, str | None]]:
    """(name, path with query, token to send: 'agent', 'readonly', 'bad' or None)."""
    return [
        ("list", "/api/v1/conversations", "agent"),
        ("list filtered", "/api/v1/conversations?status=new&status=open&sort=created_asc&limit=1", "agent"),
        ("list repeated scalar", "/api/v1/conversations?limit=1&limit=100000", "agent"),  # the last one counts
        ("list unknown parameter", "/api/v1/conversations?colour=red", "agent"),
        ("list bad enum", "/api/v1/conversations?status=lost", "agent"),
        ("list bad int", "/api/v1/conversations?inbox_id=three", "agent"),
        ("list empty int", "/api/v1/conversations?assignee_id=", "agent"),
        ("list bad bool", "/api/v1/conversations?unassigned=perhaps", "agent"),
        ("list bad date", "/api/v1/conversations?updated_since=yesterday", "agent"),
        ("list bad sort", "/api/v1/conversations?sort=sideways", "agent"),
        ("list limit too big", "/api/v1/conversations?limit=100000", "agent"),
        ("list bad cursor", "/api/v1/conversations?cursor=nonsense", "agent"),
        ("list no token", "/api/v1/conversations", None),
        ("list bad token", "/api/v1/conversations", "bad"),
        ("list encoded", "/api/v1/conversations?tag=caf%C3%A9&category=a+b", "agent"),
        ("open", f"/api/v1/conversations/{cid}", "agent"),
        ("open with all", f"/api/v1/conversations/{cid}?include=messages&include=events&messages_limit=1", "agent"),
        ("open read-only token", f"/api/v1/conversations/{cid}?include=messages", "readonly"),
        ("open bad include", f"/api/v1/conversations/{cid}?include=everything", "agent"),
        ("open limit zero", f"/api/v1/conversations/{cid}?events_limit=0", "agent"),
        ("open unknown", "/api/v1/conversations/999999", "agent"),
        ("open not a number", "/api/v1/conversations/abc", "agent"),
        ("open trailing slash", f"/api/v1/conversations/{cid}/", "agent"),
        ("open no token", f"/api/v1/conversations/{cid}", None),
    ]


def _seed(app, world: World) -> int:
    """Two messages from one customer: one conversation, its id."""
    inbound = {"inbox_id": world.api_inbox.id, "sender": {"kind": "email", "address": "pat@example.net"}}
    with TestClient(app) as client:
        for text in ("First", "Second"):
            r = client.post(
                "/api/v1/messages/inbound", json={**inbound, "text": text}, headers=world.auth(world.agent_token)
            )
            assert r.status_code == 201, r.text
    return r.json()["conversation_id"]


def _ask(app, world: World, cid: int) -> dict[str, tuple[int, str | None, object]]:
    tokens = {"agent": world.agent_token, "readonly": world.readonly_token, "bad": "rpt_nonsense"}
    out = {}
    with TestClient(app) as client:
        for name, path, token in _paths(cid):
            r = client.get(path, headers=world.auth(tokens[token]) if token else {}, follow_redirects=False)
            out[name] = (r.status_code, r.headers.get("content-type"), r.json() if r.content else None)
    return out


@pytest.fixture
def answers(db, settings, world, monkeypatch) -> dict:
    """Each path's answer with lean reads on and off, on the same data, and which paths the lean side served."""
    cid = _seed(create_app(settings, db=db, run_worker=False), world)
    served: list[str] = []
    serve = LeanReads._serve

    async def spy(route, match, scope, receive, send):
        served.append(scope["path"])
        await serve(route, match, scope, receive, send)

    monkeypatch.setattr(LeanReads, "_serve", staticmethod(spy))
    out: dict = {}
    for lean in (True, False):
        settings.lean_reads = lean
        out[lean] = _ask(create_app(settings, db=db, run_worker=False), world, cid)
    out["served"] = served
    return out


def test_both_paths_give_the_same_answers(answers):
    lean, routed = answers[True], answers[False]
    # Only the lean run, and every path but the two its patterns leave to the router, went the lean way: so the
    # comparison below compares two paths, not one with itself.
    assert len(answers["served"]) == len(lean) - 2
    assert not any(path.endswith(("/abc", "/")) for path in answers["served"])
    assert lean.keys() == routed.keys()
    for name in lean:
        assert lean[name] == routed[name], name
    statuses = {name: status for name, (status, _, _) in lean.items()}
    assert statuses["list"] == statuses["open with all"] == 200
    for name in (
        "list bad enum",
        "list bad int",
        "list bad bool",
        "list bad date",
        "list bad sort",
        "open bad include",
    ):
        assert statuses[name] == 422, name
    assert (
        statuses["list repeated scalar"]
        == statuses["list limit too big"]
        == statuses["list bad cursor"]
        == statuses["open limit zero"]
        == 422
    )
    assert statuses["list no token"] == statuses["list bad token"] == statuses["open no token"] == 401
    assert statuses["open unknown"] == 404
    fields = {name: [e["field"] for e in body.get("errors", [])] for name, (_, _, body) in lean.items() if body}
    assert fields["list bad int"] == ["inbox_id"]
    assert fields["list bad enum"] == ["status.0"]
    assert lean["list bad int"][1] == "application/problem+json"
