"""The rules API: list in order, create, new versions, switch on and off, reorder, versions, replay; bad input is one
problem+json naming the fault, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from rapport.models import Event, Rule, RuleVersion
from tests.conftest import World, inbound
from tests.rules.conftest import action

RULES = "/api/v1/rules"
TAG_REFUNDS = {
    "events": ["message.received"],
    "conditions": {"all": [{"field": "message.text", "op": "matches", "value": r"\brefund(s|ed)?\b"}]},
    "actions": [action("tags", add=["refund"])],
}


def _admin(world):
    return World.auth(world.admin_token)


def _create(client, world, name="Refunds", kind="event", definition=None):
    body = {"name": name, "kind": kind, "definition": definition or TAG_REFUNDS}
    return client.post(RULES, json=body, headers=_admin(world))


def _counts(db) -> tuple[int, int]:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Rule)), s.scalar(select(func.count()).select_from(RuleVersion))


def test_rules_are_created_versioned_switched_and_listed_in_order(client, world):
    first = _create(client, world)
    assert first.status_code == 201, first.text
    rule = first.json()
    assert rule["position"] == 1 and rule["current"]["number"] == 1 and len(rule["versions"]) == 1
    urgent = {"events": ["conversation.created"], "actions": [action("set_priority", priority="urgent")]}
    second = _create(client, world, name="Urgent", definition=urgent)
    assert second.status_code == 201
    revised = client.post(f"{RULES}/{rule['id']}/versions", json={"definition": {**TAG_REFUNDS, "cascade": True}},
                          headers=_admin(world))  # fmt: skip
    assert revised.status_code == 201 and revised.json()["number"] == 2
    off = client.patch(f"{RULES}/{rule['id']}", json={"enabled": False}, headers=_admin(world))
    assert off.status_code == 200 and off.json()["enabled"] is False
    order = client.post(f"{RULES}/order", json={"ids": [second.json()["id"], rule["id"]]}, headers=_admin(world))
    assert order.status_code == 200
    listed = client.get(RULES, headers=World.auth(world.readonly_token)).json()
    assert [(r["name"], r["position"], r["current"]["number"]) for r in listed] == [("Urgent", 1, 1), ("Refunds", 2, 2)]
    versions = client.get(f"{RULES}/{rule['id']}/versions", headers=_admin(world)).json()
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["definition"]["cascade"] is True


def test_only_admins_write_rules(client, world):
    r = client.post(RULES, json={"name": "x", "kind": "event", "definition": TAG_REFUNDS},
                    headers=World.auth(world.agent_token))  # fmt: skip
    assert r.status_code == 403


def test_the_vocabulary_lists_events_fields_and_actions(client, world):
    body = client.get(f"{RULES}/vocabulary", headers=_admin(world)).json()
    assert "message.received" in body["events"] and "rule.executed" not in body["events"]
    assert "message.text" in body["fields"] and "business_hours" in body["fields"]
    assert {"set_status", "reply", "notify", "webhook"} <= {a["name"] for a in body["actions"]}


BAD = [
    ("unknown field", {**TAG_REFUNDS, "conditions": {"field": "mood", "op": "eq", "value": "sad"}},
     "definition.conditions", "unknown field 'mood'"),
    ("unknown event", {**TAG_REFUNDS, "events": ["conversation.exploded"]}, "definition.events.0",
     "unknown event 'conversation.exploded'"),
    ("catastrophic pattern", {**TAG_REFUNDS, "conditions": {"field": "message.text", "op": "matches",
                                                             "value": "(a+)+$"}}, "definition.conditions",
     "backtrack catastrophically"),
    ("unknown action", {**TAG_REFUNDS, "actions": [action("explode")]}, "definition.actions.0.type",
     "unknown action 'explode'"),
    ("bad params", {**TAG_REFUNDS, "actions": [action("set_priority", priority="asap")]},
     "definition.actions.0.params.priority", "priority"),
    ("unknown placeholder", {**TAG_REFUNDS, "actions": [action("reply", text="Hi {{customer.shoe_size}}")]},
     "definition.actions.0.params.text", "unknown placeholder {{customer.shoe_size}}"),
    ("unknown key", {**TAG_REFUNDS, "when": "always"}, "definition.when", "Extra inputs"),
]  # fmt: skip


@pytest.mark.parametrize(("definition", "field", "says"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_rule_is_one_problem_naming_the_fault_and_nothing_is_written(client, world, db, definition, field, says):
    r = _create(client, world, definition=definition)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    problem = r.json()
    assert problem["errors"][0]["field"].startswith(field) and says in problem["detail"], problem
    assert _counts(db) == (0, 0)


def test_an_action_on_a_deleted_team_is_refused(client, world, db):
    with db.write() as s:
        s.execute(text("INSERT INTO teams (name, description, created_at) VALUES ('Gone', '', '2026-01-01')"))
        gone = s.scalar(text("SELECT id FROM teams WHERE name = 'Gone'"))
        s.execute(text("DELETE FROM teams WHERE id = :id"), {"id": gone})
    r = _create(client, world, definition={**TAG_REFUNDS, "actions": [action("set_team", team_id=gone)]})
    assert r.status_code == 422 and f"no team {gone}" in r.json()["detail"]
    assert _counts(db) == (0, 0)


def test_a_time_rule_needs_a_delay_and_business_time_a_calendar(client, world, db):
    r = _create(client, world, kind="time")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "definition.delay"
    r = _create(client, world, kind="time", definition={**TAG_REFUNDS, "delay": {"minutes": 60, "business": True}})
    assert r.status_code == 422 and "calendar_id" in r.json()["detail"]
    assert _counts(db) == (0, 0)


def test_a_new_version_that_is_bad_leaves_the_rule_as_it_was(client, world, db):
    rule = _create(client, world).json()
    bad = {**TAG_REFUNDS, "events": ["nothing.happened"]}
    r = client.post(f"{RULES}/{rule['id']}/versions", json={"definition": bad}, headers=_admin(world))
    assert r.status_code == 422
    assert _counts(db) == (1, 1)


def test_replay_says_what_a_rule_would_have_done_and_writes_nothing(client, world, db):
    inbound(client, world.agent_token, world.api_inbox.id, text="I want a refund", address="a@customer.test")
    inbound(client, world.agent_token, world.api_inbox.id, text="Where is my parcel", address="b@customer.test")
    refunded = inbound(client, world.agent_token, world.api_inbox.id, text="Refunded yet?", address="c@customer.test")
    with db.read() as s:
        before = s.scalar(text("SELECT count(*) FROM events"))
    r = client.post(f"{RULES}/replay", json={"kind": "event", "definition": TAG_REFUNDS, "days": 7},
                    headers=_admin(world))  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fired"] == 2 and body["conversations"] == 2 and body["events_read"] == 3
    assert body["hits"][-1]["conversation_id"] == refunded["conversation_id"]
    assert body["hits"][-1]["actions"] == ["add the tag refund"]
    with db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM events")) == before
        assert s.scalar(text("SELECT count(*) FROM conversation_tags")) == 0
    assert _counts(db) == (0, 0)


def test_replay_is_bounded_by_its_setting(client, world, settings):
    r = client.post(f"{RULES}/replay", json={"kind": "event", "definition": TAG_REFUNDS, "days": 31},
                    headers=_admin(world))  # fmt: skip
    assert r.status_code == 422 and "RAPPORT_RULES_REPLAY_MAX_DAYS" in r.json()["detail"]


def test_replay_finds_the_start_of_its_window_by_the_ids(db, world, client, frozen_clock):
    from datetime import timedelta

    from rapport.rules.repository import first_event_since

    with db.write() as s:  # the organisation was set up before the frozen clock's start: its events come first
        s.execute(text("UPDATE events SET occurred_at = :at"), {"at": frozen_clock[0] - timedelta(days=30)})
    inbound(client, world.agent_token, world.api_inbox.id, text="old", address="a@customer.test")
    frozen_clock[0] += timedelta(days=3)
    inbound(client, world.agent_token, world.api_inbox.id, text="new", address="b@customer.test")
    with db.read() as s:
        rows = list(s.execute(select(Event.id, Event.occurred_at).order_by(Event.id)))
        for since in (frozen_clock[0] - timedelta(days=1), frozen_clock[0] - timedelta(days=10),
                      frozen_clock[0] - timedelta(days=40), frozen_clock[0] + timedelta(days=1)):  # fmt: skip
            expected = next((i for i, at in rows if at >= since), rows[-1][0] + 1)
            assert first_event_since(s, since) == expected
