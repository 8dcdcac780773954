"""What-if: a condition and targets replayed over a history written through the real services, on a frozen clock."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from rapport.conversations import service as conversations
from rapport.conversations.human import request_human
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.conversations.service import Changes
from rapport.kernel.permissions import SYSTEM, Actor, Role
from rapport.kit.calendar_spec import Calendar
from rapport.models import CalendarVersion, Event
from rapport.models.enums import Priority, Status
from rapport.sla import whatif
from rapport.sla.schemas import TARGETS_CHARS
from tests.conftest import World

URGENT = {"field": "priority", "op": "eq", "value": "urgent"}
HOUR = 3600


def _admin(world) -> Actor:
    return Actor(kind="agent", id=world.admin.id, role=Role.admin, name="Ada Admin")


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")


def _write_in(db, world, subject: str, who: str, priority: Priority = Priority.urgent) -> int:
    with db.write() as s:
        got = receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.email_inbox.id, sender_kind="email", sender_address=f"{who}@customer.test",
                subject=subject, text="Help, please.",
            ),
        )  # fmt: skip
        conversations.update(s, SYSTEM, got.conversation_id, Changes(priority=priority))
        return got.conversation_id


def _reply(db, world, cid: int, status: Status | None = None) -> None:
    with db.write() as s:
        conversations.reply(s, _agent(world), cid, text="On it.", status=status)


def _solve(db, world, cid: int) -> None:
    with db.write() as s:
        conversations.update(s, _agent(world), cid, Changes(status=Status.solved))


def _history(db, world, clock) -> dict[str, int]:
    """Monday 2 November 2026 from 09:00 UTC: three urgent conversations and a normal one, replied to or not."""
    start = clock[0]
    ids = {}
    ids["quick"] = _write_in(db, world, "Quick one", "ana")  # 09:00
    clock[0] = start + timedelta(minutes=30)
    _reply(db, world, ids["quick"])  # first reply after 30 minutes: met
    clock[0] = start + timedelta(hours=1)
    ids["slow"] = _write_in(db, world, "Slow one", "bo")  # 10:00
    clock[0] = start + timedelta(hours=2)
    ids["normal"] = _write_in(db, world, "Not urgent", "cy", Priority.normal)  # 11:00, not matched
    clock[0] = start + timedelta(hours=3)
    _reply(db, world, ids["slow"])  # 12:00: two hours, breached
    ids["silent"] = _write_in(db, world, "Nobody answered", "di")  # 12:00, never answered
    clock[0] = start + timedelta(hours=6)
    _solve(db, world, ids["quick"])  # 15:00: resolved in six hours
    clock[0] = start + timedelta(hours=7)  # 16:00: the replay runs now
    return ids


def test_the_replay_counts_met_and_breached_clocks_with_what_they_measured(db, world, frozen_clock):
    ids = _history(db, world, frozen_clock)
    with db.read() as s:
        before = s.scalar(select(func.count(Event.id)))
    with db.write() as s:
        result = whatif.replay(
            s, _admin(world), condition=URGENT, days=1,
            targets=[{"kind": "first_reply", "seconds": HOUR, "business": False},
                     {"kind": "resolution", "seconds": 8 * HOUR, "business": False}],
        )  # fmt: skip
    assert result.conversations == 3  # the normal-priority one is not matched
    first, resolution = result.targets
    assert (first.kind, first.count, first.met, first.breached, first.open) == ("first_reply", 3, 1, 2, 0)
    assert first.percent_met == 33.3
    # measured by the clocks that stopped: 30 minutes and 2 hours (the unanswered one is breached, still running)
    assert (first.median_seconds, first.p90_seconds) == (1800, 7200)
    # resolution: the quick one in 6 hours; the slow one (6 h so far) and the silent one (4 h) are still open
    assert (resolution.met, resolution.breached, resolution.open) == (1, 0, 2)
    assert (resolution.median_seconds, resolution.percent_met) == (6 * HOUR, 100.0)
    assert [(b.conversation_id, b.subject, b.target) for b in result.breaches] == [
        (ids["slow"], "Slow one", "first_reply"),
        (ids["silent"], "Nobody answered", "first_reply"),
    ]
    assert result.breaches_total == 2 and "as it is now" in result.note
    with db.read() as s:
        assert s.scalar(select(func.count(Event.id))) == before  # a replay writes nothing


def test_business_time_counts_only_office_hours(db, world, frozen_clock, office):
    start = frozen_clock[0]  # Monday 09:00
    frozen_clock[0] = start + timedelta(hours=7, minutes=30)  # 16:30
    late = _write_in(db, world, "Late in the day", "ed")
    frozen_clock[0] = start + timedelta(days=1, minutes=45)  # Tuesday 09:45
    _reply(db, world, late)
    with db.write() as s:
        result = whatif.replay(
            s, _admin(world), condition=None, days=2,
            targets=[{"kind": "first_reply", "seconds": HOUR, "calendar_id": office}],
        )  # fmt: skip
    (first,) = result.targets
    # 30 minutes on Monday and 45 on Tuesday: 75 business minutes, over the hour
    assert (first.met, first.breached, first.median_seconds) == (0, 1, 75 * 60)
    with db.write() as s:
        result = whatif.replay(
            s, _admin(world), condition=None, days=2,
            targets=[{"kind": "first_reply", "seconds": 2 * HOUR, "calendar_id": office}],
        )  # fmt: skip
    assert (result.targets[0].met, result.targets[0].breached) == (1, 0)


def test_the_window_leaves_out_older_conversations(db, world, frozen_clock):
    _write_in(db, world, "Old", "fi")
    frozen_clock[0] += timedelta(days=3)
    _write_in(db, world, "New", "gu")
    frozen_clock[0] += timedelta(hours=1)
    with db.write() as s:
        result = whatif.replay(
            s,
            _admin(world),
            condition=None,
            days=1,
            targets=[{"kind": "first_reply", "seconds": 600, "business": False}],
        )
    assert result.conversations == 1 and [b.subject for b in result.breaches] == ["New"]


def test_a_pending_wait_pauses_resolution(db, world, frozen_clock):
    cid = _write_in(db, world, "Waiting on the customer", "ha")
    frozen_clock[0] += timedelta(hours=1)
    _reply(db, world, cid, status=Status.pending)  # pending from 10:00 ...
    frozen_clock[0] += timedelta(hours=5)
    with db.write() as s:
        conversations.update(s, _agent(world), cid, Changes(status=Status.open))  # ... to 15:00
    frozen_clock[0] += timedelta(hours=1)
    _solve(db, world, cid)  # 16:00: seven hours later, two of them counted
    with db.write() as s:
        result = whatif.replay(
            s, _admin(world), condition=None, days=1,
            targets=[{"kind": "resolution", "seconds": 3 * HOUR, "business": False}],
        )  # fmt: skip
    (resolution,) = result.targets
    assert (resolution.met, resolution.breached, resolution.median_seconds) == (1, 0, 2 * HOUR)


def _query(body: dict) -> dict:
    """A what-if body as the GET's query parameters: the condition and targets as JSON text."""
    out = {"targets": json.dumps(body["targets"]), "days": body["days"]}
    if body.get("condition") is not None:
        out["condition"] = json.dumps(body["condition"])
    return out


def test_the_api_replays_and_refuses_a_window_beyond_the_setting(client, world, db, frozen_clock):
    _history(db, world, frozen_clock)
    admin = World.auth(world.admin_token)
    body = {"condition": URGENT, "targets": [{"kind": "first_reply", "seconds": HOUR, "business": False}], "days": 1}
    r = client.get("/api/v1/sla/what-if", params=_query(body), headers=admin)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["conversations"], out["targets"][0]["met"], out["targets"][0]["breached"]) == (3, 1, 2)
    assert out["targets"][0]["label"] == "First reply" and out["breaches_shown"] == 2
    r = client.get("/api/v1/sla/what-if", params=_query({**body, "days": 91}), headers=admin)
    assert r.status_code == 422 and "RAPPORT_SLA_WHATIF_MAX_DAYS" in r.json()["detail"]
    bad = {**body, "condition": {"field": "mood", "op": "eq", "value": "x"}}
    r = client.get("/api/v1/sla/what-if", params=_query(bad), headers=admin)
    assert r.status_code == 422 and "unknown field 'mood'" in r.json()["detail"]
    r = client.get("/api/v1/sla/what-if", params=_query(body), headers=World.auth(world.agent_token))
    assert r.status_code == 403
    r = client.post("/api/v1/sla/what-if", json=body, headers=admin)
    assert r.status_code == 405  # a safe read: served on a read session, never a write


def test_the_api_names_the_parameter_that_is_not_json_or_not_valid(client, world):
    admin = World.auth(world.admin_token)
    r = client.get("/api/v1/sla/what-if", params={"targets": "[{kind"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "targets"
    assert "targets is not JSON" in r.json()["detail"]
    one = json.dumps([{"kind": "first_reply", "seconds": HOUR, "business": False}])
    r = client.get("/api/v1/sla/what-if", params={"targets": one, "condition": "{"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "condition"
    assert "condition is not JSON" in r.json()["detail"]
    r = client.get("/api/v1/sla/what-if", params={"targets": "[]"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "targets"
    r = client.get("/api/v1/sla/what-if", params={"targets": '[{"kind": "first_reply"}]'}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "targets.0.seconds"
    r = client.get("/api/v1/sla/what-if", params={"targets": "[" + " " * TARGETS_CHARS + "]"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "targets"
    assert str(TARGETS_CHARS) in r.json()["detail"]
    r = client.get("/api/v1/sla/what-if", params={"targets": "[]", "condition": "{" * 20_001}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "condition"


def test_a_clock_counts_on_the_calendar_version_in_force_when_it_starts(db, world, frozen_clock, office):
    start = frozen_clock[0]  # Monday 09:00; office hours until noon, then around the clock
    always = {
        "timezone": "UTC",
        "weekly": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    with db.write() as s:
        spec = Calendar.from_dict(always).to_dict()
        s.add(
            CalendarVersion(calendar_id=office, effective_from=start + timedelta(hours=3), spec=spec, created_at=start)
        )
    early = _write_in(db, world, "Before noon", "ja")  # 09:00, on office hours
    frozen_clock[0] = start + timedelta(hours=4)
    late = _write_in(db, world, "After noon", "ko")  # 13:00, around the clock
    frozen_clock[0] = start + timedelta(hours=9)  # 18:00
    _reply(db, world, early)
    _reply(db, world, late)
    with db.write() as s:
        result = whatif.replay(
            s, _admin(world), condition=None, days=1,
            targets=[{"kind": "first_reply", "seconds": 10 * HOUR, "calendar_id": office}],
        )  # fmt: skip
    (first,) = result.targets
    # 09:00-17:00 on office hours (8 h), 13:00-18:00 around the clock (5 h)
    assert (first.met, first.median_seconds, first.p90_seconds) == (2, 5 * HOUR, 8 * HOUR)


def test_batches_of_conversations_give_the_same_result(db, world, frozen_clock, monkeypatch):
    _history(db, world, frozen_clock)
    targets = [{"kind": "first_reply", "seconds": HOUR, "business": False}]
    with db.write() as s:
        whole = whatif.replay(s, _admin(world), condition=None, days=1, targets=targets)
    monkeypatch.setattr(whatif, "STREAM_BATCH", 1)
    with db.read() as s:  # a read session too: on PostgreSQL it runs in autocommit
        batched = whatif.replay(s, _admin(world), condition=None, days=1, targets=targets)
    assert batched.conversations == whole.conversations == 4
    assert (batched.targets[0].met, batched.targets[0].breached) == (whole.targets[0].met, whole.targets[0].breached)
    assert batched.breaches == whole.breaches


def test_next_reply_and_time_to_a_person(db, world, frozen_clock):
    start = frozen_clock[0]
    cid = _write_in(db, world, "Second question", "lu")  # 09:00
    frozen_clock[0] = start + timedelta(minutes=30)
    _reply(db, world, cid)  # the first reply; no next reply is owed yet
    frozen_clock[0] = start + timedelta(hours=1)
    with db.write() as s:  # 10:00 the customer writes again, 10:05 asks for a person
        receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.email_inbox.id, sender_kind="email", sender_address="lu@customer.test",
                conversation_id=cid, text="And another thing.",
            ),
        )  # fmt: skip
    frozen_clock[0] = start + timedelta(hours=1, minutes=5)
    with db.write() as s:
        request_human(s, SYSTEM, cid, channel="email", via="chat_button")
    frozen_clock[0] = start + timedelta(hours=2, minutes=30)
    _reply(db, world, cid)  # 11:30 answers both
    with db.write() as s:
        result = whatif.replay(
            s, _admin(world), condition=None, days=1,
            targets=[{"kind": "next_reply", "seconds": HOUR, "business": False},
                     {"kind": "human", "seconds": 2 * HOUR, "business": False}],
        )  # fmt: skip
    next_reply, human = result.targets
    assert (next_reply.met, next_reply.breached, next_reply.median_seconds) == (0, 1, 90 * 60)
    assert (human.met, human.breached, human.median_seconds) == (1, 0, 85 * 60)
