"""Routing's settings, capacity and skills: bad input refused with the field named, nothing half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rapport.kernel.permissions import SYSTEM
from rapport.kit.problems import Conflict, Forbidden, Invalid, NotFound
from rapport.models import Agent, AgentRouting, ConversationRouting, Event, RoutingSetting
from rapport.routing import service
from tests.routing.conftest import actor_of, arrive, skills


def count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def refused(db, kind, fn) -> Exception:
    with pytest.raises(kind) as caught, db.write() as s:
        fn(s)
    return caught.value


def test_capacity_zero_is_refused_naming_the_field(db, world):
    err = refused(db, Invalid, lambda s: service.set_capacity(s, SYSTEM, world.agent.id, capacity=0))
    assert err.extra["errors"][0]["field"] == "capacity" and "capacity must be" in err.detail
    assert "RAPPORT_ROUTING_CAPACITY_MAX" in err.detail
    assert count(db, AgentRouting) == 0


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"capacity": 101}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"capacity": 3, "channel_weights": {"fax": 1}}, "channel_weights"),
        ({"capacity": 3, "channel_weights": {"chat": 0}}, "channel_weights"),
        ({"capacity": 3, "channel_caps": {"chat": 0}}, "channel_caps"),
    ],
)
def test_other_bad_capacities_are_refused(db, world, options, field):
    err = refused(db, Invalid, lambda s: service.set_capacity(s, SYSTEM, world.agent.id, **options))
    assert err.extra["errors"][0]["field"] == field
    assert count(db, AgentRouting) == 0


def test_a_deactivated_or_missing_agent_gets_no_capacity_or_skills(db, world):
    skills(db, "de")
    with db.write() as s:
        s.get(Agent, world.agent2.id).active = False
    refused(db, Conflict, lambda s: service.set_capacity(s, SYSTEM, world.agent2.id, capacity=3))
    refused(db, Conflict, lambda s: service.set_agent_skills(s, SYSTEM, world.agent2.id, ["de"]))
    refused(db, NotFound, lambda s: service.set_capacity(s, SYSTEM, 9999, capacity=3))
    assert count(db, AgentRouting) == 0


def test_unknown_skills_are_refused_everywhere(db, world, frozen_clock):
    skills(db, "de")
    conv = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    err = refused(db, Invalid, lambda s: service.set_agent_skills(s, SYSTEM, world.agent.id, ["de", "klingon"]))
    assert "klingon" in err.detail and err.extra["errors"][0]["field"] == "skills"
    err = refused(db, Invalid, lambda s: service.set_needs(s, SYSTEM, conv, required=["xx"], preferred=[]))
    assert err.extra["errors"][0]["field"] == "required"
    assert count(db, ConversationRouting) == 0
    with db.read() as s:
        assert s.get(Agent, world.agent.id).skills == []


def test_skills_are_declared_once_with_a_clean_name(db, world):
    with db.write() as s:
        made = service.create_skill(s, SYSTEM, name=" DE ", kind="language")
    assert made.name == "de"
    refused(db, Conflict, lambda s: service.create_skill(s, SYSTEM, name="de"))
    refused(db, Invalid, lambda s: service.create_skill(s, SYSTEM, name="no spaces"))
    refused(db, Invalid, lambda s: service.create_skill(s, SYSTEM, name="ok", kind="mood"))
    with db.write() as s:
        service.set_agent_skills(s, SYSTEM, world.agent.id, ["de", "DE"])
        assert s.get(Agent, world.agent.id).skills == ["de"]
    refused(db, Conflict, lambda s: service.delete_skill(s, SYSTEM, made.id))  # held by an agent


def test_settings_name_one_known_scope_and_valid_values(db, world):
    refused(db, NotFound, lambda s: service.save_setting(s, SYSTEM, team_id=999, mode="balanced"))
    refused(db, NotFound, lambda s: service.save_setting(s, SYSTEM, inbox_id=999, mode="balanced"))
    refused(db, Invalid, lambda s: service.save_setting(s, SYSTEM, mode="balanced"))
    both = {"team_id": world.team.id, "inbox_id": world.email_inbox.id, "mode": "balanced"}
    refused(db, Invalid, lambda s: service.save_setting(s, SYSTEM, **both))
    err = refused(db, Invalid, lambda s: service.save_setting(s, SYSTEM, team_id=world.team.id, mode="random"))
    assert err.extra["errors"][0]["field"] == "mode"
    err = refused(
        db,
        Invalid,
        lambda s: service.save_setting(
            s, SYSTEM, team_id=world.team.id, mode="balanced", spillover_seconds=5
        ),  # fmt: skip
    )
    assert err.extra["errors"][0]["field"] == "spillover_seconds"
    err = refused(
        db, Invalid, lambda s: service.save_setting(s, SYSTEM, team_id=world.team.id, mode="balanced", sticky_days=-1)
    )
    assert err.extra["errors"][0]["field"] == "sticky_days"
    assert count(db, RoutingSetting) == 0


def test_saving_again_replaces_the_setting_and_records_each_change(db, world):
    with db.write() as s:
        first = service.save_setting(s, SYSTEM, team_id=world.team.id, mode="balanced")
    with db.write() as s:
        again = service.save_setting(s, SYSTEM, team_id=world.team.id, mode="round_robin", sticky_days=3)
    assert first.id == again.id and count(db, RoutingSetting) == 1
    with db.read() as s:
        changes = s.scalars(select(Event.payload).where(Event.name == "routing.updated").order_by(Event.id)).all()
    assert [c["fields"]["mode"] for c in changes] == ["balanced", "round_robin"]


def test_only_admins_configure_routing(db, world):
    with db.read() as s:
        agent = actor_of(s.get(Agent, world.agent.id))
    refused(db, Forbidden, lambda s: service.save_setting(s, agent, team_id=world.team.id, mode="balanced"))
    refused(db, Forbidden, lambda s: service.set_capacity(s, agent, world.agent.id, capacity=9))
    refused(db, Forbidden, lambda s: service.create_skill(s, agent, name="de"))
    refused(db, Forbidden, lambda s: service.set_agent_skills(s, agent, world.agent.id, []))
