"""Snooze over HTTP: the API (write scope, problem+json naming `until`, snoozed_until in the output) and the
conversation page's control (presets in the agent's zone, a typed time, Unsnooze, CSRF)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rapport.agents import service as agents
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Conversation
from rapport.workspace.conversations import snoozing
from tests.conftest import inbound


def _snoozed_until(db, cid: int):
    with db.read() as s:
        return s.scalar(select(Conversation.snoozed_until).where(Conversation.id == cid))


def test_snooze_and_unsnooze_through_the_api(client, world, db, frozen_clock):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    h = world.auth(world.agent_token)
    r = client.post(f"/api/v1/conversations/{cid}/snooze", json={"until": "2026-11-03T09:00:00+01:00"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["snoozed_until"].startswith("2026-11-03T08:00:00") and r.json()["status"] == "new"
    assert client.get(f"/api/v1/conversations/{cid}", headers=h).json()["snoozed_until"].startswith("2026-11-03T08")
    listed = client.get("/api/v1/conversations", headers=h).json()["items"]
    assert [c["snoozed_until"] for c in listed if c["id"] == cid][0].startswith("2026-11-03T08")
    r = client.delete(f"/api/v1/conversations/{cid}/snooze", headers=h)
    assert r.status_code == 200 and r.json()["snoozed_until"] is None
    assert _snoozed_until(db, cid) is None


def test_bad_input_is_a_problem_naming_until_and_writes_nothing(client, world, db, frozen_clock):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    h = world.auth(world.agent_token)
    for body, words in (
        ({"until": "2026-11-01T09:00:00Z"}, "has passed"),
        ({"until": "2027-06-01T09:00:00Z"}, "RAPPORT_SNOOZE_MAX_DAYS"),
        ({"until": "2026-11-03T09:00:00"}, "time zone"),
        ({"until": "tomorrow"}, None),
        ({}, None),
    ):
        r = client.post(f"/api/v1/conversations/{cid}/snooze", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert any(e.get("field", "").endswith("until") for e in problem["errors"]), problem
        if words:
            assert words in problem["detail"]
    assert _snoozed_until(db, cid) is None
    assert (
        client.post(
            "/api/v1/conversations/999999/snooze", json={"until": "2026-11-03T09:00:00Z"}, headers=h
        ).status_code
        == 404
    )


def test_the_routes_need_the_write_scope(client, world, frozen_clock):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    ro = world.auth(world.readonly_token)
    assert (
        client.post(
            f"/api/v1/conversations/{cid}/snooze", json={"until": "2026-11-03T09:00:00Z"}, headers=ro
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/conversations/{cid}/snooze", headers=ro).status_code == 403
    assert client.post(f"/api/v1/conversations/{cid}/snooze", json={"until": "2026-11-03T09:00:00Z"}).status_code == 401


def test_presets_in_the_agents_time_zone(frozen_clock):
    # Monday 2 November 2026, 09:00 UTC = 10:00 in Paris, 18:00 in Tokyo.
    at = frozen_clock[0]
    later, tomorrow, week = snoozing.presets(at, "Europe/Paris")
    assert later.at == at + timedelta(hours=3)
    assert tomorrow.at == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert week.at == datetime(2026, 11, 9, 8, 0, tzinfo=UTC) and "Monday 9 Nov" in week.label  # not today
    assert snoozing.presets(at, "Asia/Tokyo")[1].at == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    typed = snoozing.chosen({"until": "2026-11-05T14:30"}, at=at, tz="Europe/Paris")
    assert typed == datetime(2026, 11, 5, 13, 30, tzinfo=UTC)


def test_the_page_snoozes_with_a_preset_and_unsnoozes(client, world, db, signed_in, frozen_clock):
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.agent.id, timezone="Europe/Paris")
        assert s.get(Agent, world.agent.id).timezone == "Europe/Paris"
    cid = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    page = client.get(f"/conversations/{cid}").text
    assert 'name="preset" value="tomorrow"' in page and 'id="snooze-until"' in page
    r = client.post(
        f"/conversations/{cid}/snooze", data={"csrf_token": signed_in, "preset": "tomorrow"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/inbox/all"
    assert _snoozed_until(db, cid) == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    shown = client.get("/inbox/all").text
    assert f'data-href="/conversations/{cid}"' not in shown and "Snoozed #" in shown
    assert f'data-href="/conversations/{cid}"' in client.get("/inbox/snoozed").text
    assert "Snoozed until" in client.get(f"/conversations/{cid}").text
    r = client.post(f"/conversations/{cid}/unsnooze", data={"csrf_token": signed_in}, follow_redirects=False)
    assert r.status_code == 303 and _snoozed_until(db, cid) is None
    assert f'data-href="/conversations/{cid}"' in client.get("/inbox/all").text


def test_the_page_takes_a_typed_time_and_refuses_a_bad_one(client, world, db, signed_in, frozen_clock):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    form = {"csrf_token": signed_in, "preset": "custom", "until": "2026-11-04T17:00"}
    assert client.post(f"/conversations/{cid}/snooze", data=form, follow_redirects=False).status_code == 303
    assert _snoozed_until(db, cid) == datetime(2026, 11, 4, 17, 0, tzinfo=UTC)  # the agent's zone: UTC
    client.post(f"/conversations/{cid}/unsnooze", data={"csrf_token": signed_in})
    for until in ("2026-10-01T09:00", "not a time", ""):
        r = client.post(f"/conversations/{cid}/snooze", data={**form, "until": until}, follow_redirects=False)
        assert r.status_code == 422, (until, r.status_code)
    assert _snoozed_until(db, cid) is None
    r = client.post(f"/conversations/{cid}/snooze", data={"preset": "later"}, follow_redirects=False)
    assert r.status_code == 403 and _snoozed_until(db, cid) is None  # no CSRF token
