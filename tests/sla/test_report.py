"""The achievement report: % met, median and p90 of clocks by policy, priority, channel and team; breaches a click
away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rapport.kernel.permissions import Actor, Role
from rapport.kit.clock import now
from rapport.kit.problems import Forbidden, Invalid
from rapport.models import CalendarVersion, SlaClock
from rapport.models.enums import Priority
from rapport.sla import policies, report
from tests.conftest import sign_in_as
from tests.sla.test_whatif import _admin, _write_in

HOUR = 3600


def _clock(s, conversation_id, version_id, target, state, measured, *, calendar_version_id=None, days_ago=1):
    started = now() - timedelta(days=days_ago)
    s.add(
        SlaClock(
            conversation_id=conversation_id, policy_version_id=version_id, target=target, state=state,
            target_seconds=HOUR, calendar_version_id=calendar_version_id, warn_share=None, started_at=started,
            due_at=started + timedelta(hours=1), measured_seconds=measured, detail={}, updated_at=started,
        )
    )  # fmt: skip


def _seed(db, world, office) -> dict:
    urgent = _write_in(db, world, "Urgent one", "ana")
    normal = _write_in(db, world, "Normal one", "bo", Priority.normal)
    with db.write() as s:
        cal_version = s.scalar(select(CalendarVersion.id).where(CalendarVersion.calendar_id == office))
        gold = policies.create(
            s, _admin(world), name="Gold", targets=[{"kind": "first_reply", "seconds": HOUR, "business": False}]
        )
        version = policies.versions(s, gold.id)[0].id
        _clock(s, urgent, version, "first_reply", "met", 600)
        _clock(s, normal, version, "first_reply", "met", 1200)
        _clock(s, normal, version, "first_reply", "breached", 5400)
        _clock(s, urgent, version, "first_reply", "breached", None)  # still running, late
        _clock(s, urgent, version, "resolution", "met", 2 * HOUR, calendar_version_id=cal_version)
        _clock(s, urgent, version, "first_reply", "cancelled", None)  # no outcome: not counted
        _clock(s, urgent, version, "first_reply", "met", 60, days_ago=40)  # before the period
    return {"urgent": urgent, "normal": normal, "policy": gold.id}


def test_achievement_by_policy_and_by_priority(db, world, office, frozen_clock):
    ids = _seed(db, world, office)
    with db.read() as s:
        by_policy = report.achievement(s, _admin(world), days=30, by="policy")
        by_priority = report.achievement(s, _admin(world), days=30, by="priority")
    rows = [(g.label, g.target, g.business, g.met, g.breached, g.percent_met) for g in by_policy.groups]
    assert rows == [("Gold", "first_reply", False, 2, 2, 50.0), ("Gold", "resolution", True, 1, 0, 100.0)]
    first = by_policy.groups[0]
    assert (first.median_seconds, first.p90_seconds) == (1200, 5400)  # of 600, 1200, 5400 (the late one runs on)
    rows = [(g.label, g.target, g.met, g.breached) for g in by_priority.groups]
    assert rows == [("normal", "first_reply", 1, 1), ("urgent", "first_reply", 1, 1), ("urgent", "resolution", 1, 0)]
    with db.read() as s:
        late = report.breaches(
            s, _admin(world), days=30, by="priority", value="urgent", target="first_reply", business=False
        )
        by_team = report.achievement(s, _admin(world), days=30, by="team")
    assert [(b.conversation_id, b.subject, b.measured_seconds) for b in late] == [(ids["urgent"], "Urgent one", None)]
    assert {g.label for g in by_team.groups} == {"Support"}  # the email inbox's team


def test_agents_cannot_read_it_and_bad_parameters_are_named(db, world, office):
    agent = Actor(kind="agent", id=world.agent.id, role=Role.agent)
    with db.read() as s:
        with pytest.raises(Forbidden):
            report.achievement(s, agent)
        with pytest.raises(Invalid, match="1 to 366 days"):
            report.achievement(s, _admin(world), days=400)
        with pytest.raises(Invalid, match="Group by one of policy, priority, channel, team"):
            report.achievement(s, _admin(world), by="mood")


def test_the_report_pages_show_the_rows_and_the_breaches(client, db, world, office, frozen_clock):
    ids = _seed(db, world, office)
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    assert client.get("/reports/sla").status_code == 403
    client.cookies.clear()
    sign_in_as(client, "ada@example.com", "correct horse battery")
    page = client.get("/reports/sla?days=30&by=policy")
    assert page.status_code == 200 and "Gold" in page.text and "50.0 %" in page.text and "1 h 30 min" in page.text
    assert f"/reports/sla/breaches?days=30&amp;by=policy&amp;value={ids['policy']}&amp;target=first_reply" in page.text
    r = client.get(f"/reports/sla/breaches?days=30&by=policy&value={ids['policy']}&target=first_reply&business=0")
    assert r.status_code == 200 and "Normal one" in r.text and "Urgent one" in r.text and "still running" in r.text
    assert client.get("/reports/sla?days=soon").status_code == 422
    assert client.get("/reports/sla?by=mood").status_code == 422
