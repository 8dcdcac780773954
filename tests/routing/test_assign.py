"""Routing carried out: the consumer assigns new work through the conversations service and records why; away
agents release unstarted work; spillover widens the pool by a job; stickiness; the queue's order."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rapport.agents import service as agents
from rapport.conversations import service as conversations
from rapport.conversations.wording import describe
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Conversation, Event, RoutingSetting
from rapport.routing import assign, repository, service
from rapport.worker import scheduler
from rapport.worker.runner import run_due
from tests.routing.conftest import actor_of, arrive, online, routed, skills, team_agents


def events(db, conversation_id: int, name: str) -> list[Event]:
    with db.read() as s:
        return list(
            s.scalars(
                select(Event).where(Event.conversation_id == conversation_id, Event.name == name).order_by(Event.id)
            )
        )


def assignee(db, conversation_id: int) -> int | None:
    with db.read() as s:
        return s.get(Conversation, conversation_id).assignee_id


def test_a_new_conversation_goes_to_the_agent_with_most_spare_capacity_and_the_timeline_says_why(
    db, world, frozen_clock, run
):
    ids = team_agents(db, world, 2)
    online(db, *ids)
    routed(db, world)
    run()
    first = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    run()
    assert assignee(db, first) == ids[0]  # all equal: lowest id
    second = arrive(db, frozen_clock, world.email_inbox.id, "b@customer.test")
    run()
    assert assignee(db, second) == ids[1]  # the first agent now has less room
    (why,) = events(db, second, "conversation.routed")
    assert why.payload["queue"] == "Support" and why.payload["rank"] == 1 and why.payload["considered"] == 3
    assert len(events(db, second, "conversation.assigned")) == 1  # through the conversations service
    assert (
        describe(why, {}) == "Rapport routed it to Agent 0 (queue Support; balanced; load 0/5 before it; rank 1 of 3)"
    )
    run()  # idempotent: routed conversations are never routed again
    assert len(events(db, second, "conversation.routed")) == 1


def test_nothing_is_routed_without_a_setting_or_in_manual_mode(db, world, frozen_clock, run):
    online(db, world.agent.id)
    conv = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    run()
    assert assignee(db, conv) is None
    routed(db, world, "manual")
    run()
    assert assignee(db, conv) is None and events(db, conv, "conversation.routed") == []


def test_capacity_and_channel_caps_are_respected_and_freed_capacity_routes_the_queue(db, world, frozen_clock, run):
    online(db, world.agent.id)
    with db.write() as s:
        service.set_capacity(s, SYSTEM, world.agent.id, capacity=2, channel_caps={"email": 1})
    routed(db, world)
    run()
    first = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    second = arrive(db, frozen_clock, world.email_inbox.id, "b@customer.test")
    run()
    assert (assignee(db, first), assignee(db, second)) == (world.agent.id, None)  # the email cap is 1
    with db.write() as s:
        conversations.update(s, actor_of(world.agent), first, conversations.Changes(status="solved"))
    run()
    assert assignee(db, second) == world.agent.id


def test_an_agent_going_away_releases_unstarted_work_to_the_queue(db, world, frozen_clock, run):
    ids = team_agents(db, world, 1)
    online(db, ids[0])
    routed(db, world)
    run()
    started = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    unstarted = arrive(db, frozen_clock, world.email_inbox.id, "b@customer.test")
    run()
    assert assignee(db, started) == assignee(db, unstarted) == ids[0]
    with db.write() as s:
        me = s.get(Agent, ids[0])
        conversations.reply(s, actor_of(me), started, text="On it")
    online(db, ids[1])
    with db.write() as s:
        agents.set_presence(s, actor_of(me), availability="away", timezone="UTC")
    run()
    run()  # the release's own events route the conversation again
    assert assignee(db, started) == ids[0]
    assert assignee(db, unstarted) == ids[1]
    (released,) = events(db, unstarted, "conversation.released")
    assert describe(released, {}) == "Rapport returned it to the queue: Alex Agent went away before starting it"


def test_required_skills_wait_for_a_skilled_agent_then_spill_over_to_everyone(db, world, frozen_clock, run):
    skills(db, "de")
    online(db, world.agent.id)
    routed(db, world, spillover_seconds=300)
    run()
    conv = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    with db.write() as s:
        service.set_needs(s, SYSTEM, conv, required=["de"], preferred=[])
    run()
    assert assignee(db, conv) is None  # the only agent online lacks German: it waits
    with db.read() as s:
        assert scheduler.due_at(s, assign.spill_key(conv)) == frozen_clock[0] + timedelta(seconds=300)
    frozen_clock[0] += timedelta(seconds=301)
    assert run_due(db) >= 1
    assert assignee(db, conv) == world.agent.id
    (widened,) = events(db, conv, "conversation.widened")
    assert describe(widened, {}) == "Rapport opened it to every agent: no one with de took it in 5 min"


def test_a_skilled_agent_gets_it_and_the_spillover_job_is_cancelled(db, world, frozen_clock, run):
    skills(db, "de")
    ids = team_agents(db, world, 1)
    online(db, *ids)
    with db.write() as s:
        service.set_agent_skills(s, SYSTEM, ids[1], ["de"])
    conv = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    with db.write() as s:
        service.set_needs(s, SYSTEM, conv, required=["de"], preferred=[])
        service.save_setting(s, SYSTEM, team_id=world.team.id, mode="balanced", spillover_seconds=300)
    run()
    assert assignee(db, conv) == ids[1]
    with db.read() as s:
        assert scheduler.find(s, assign.spill_key(conv)) is None


def test_a_returning_customer_goes_back_to_their_agent_within_the_window(db, world, frozen_clock, run):
    ids = team_agents(db, world, 1)
    online(db, *ids)
    routed(db, world, sticky_days=7)
    run()
    first = arrive(db, frozen_clock, world.email_inbox.id, "back@customer.test")
    run()
    with db.write() as s:
        conversations.update(s, SYSTEM, first, conversations.Changes(assignee_id=ids[1], status="solved"))
    arrive(db, frozen_clock, world.email_inbox.id, "other@customer.test")  # takes ids[0]'s room first
    again = arrive(db, frozen_clock, world.email_inbox.id, "back@customer.test", text="Me again")
    run()
    assert again != first and assignee(db, again) == ids[1]
    (why,) = events(db, again, "conversation.routed")
    assert why.payload["sticky"] is True and "the customer's previous agent" in describe(why, {})


def test_round_robin_moves_its_cursor(db, world, frozen_clock, run):
    ids = team_agents(db, world, 2)
    online(db, *ids)
    routed(db, world, "round_robin")
    run()
    got = []
    for n in range(4):
        conv = arrive(db, frozen_clock, world.email_inbox.id, f"c{n}@customer.test")
        run()
        got.append(assignee(db, conv))
    assert got == [ids[0], ids[1], ids[2], ids[0]]
    with db.read() as s:
        assert s.scalar(select(RoutingSetting.cursor_agent_id)) == ids[0]


def test_the_queue_puts_requests_for_a_person_first_then_the_nearest_breach_then_priority_then_age(
    db, world, frozen_clock
):
    made = [arrive(db, frozen_clock, world.email_inbox.id, f"q{n}@customer.test") for n in range(5)]
    old, urgent, due_late, due_soon, person = made
    with db.write() as s:
        s.get(Conversation, urgent).priority = "urgent"
        s.get(Conversation, due_late).sla_due_at = frozen_clock[0] + timedelta(hours=2)
        s.get(Conversation, due_soon).sla_due_at = frozen_clock[0] + timedelta(hours=1)
        s.get(Conversation, person).human_requested_at = frozen_clock[0]
    with db.read() as s:
        assert list(s.scalars(repository.queue())) == [person, due_soon, due_late, urgent, old]


def test_deactivating_an_agent_releases_their_unstarted_work_and_routing_never_picks_them(db, world, frozen_clock, run):
    ids = team_agents(db, world, 1)
    online(db, ids[0])
    routed(db, world)
    run()
    conv = arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    run()
    assert assignee(db, conv) == ids[0]
    online(db, ids[1])
    with db.write() as s:
        agents.update_agent(s, SYSTEM, ids[0], active=False)
    run()
    run()
    assert assignee(db, conv) == ids[1]
    (released,) = events(db, conv, "conversation.released")
    assert released.payload["reason"] == "deactivated"
    with db.write() as s:  # the deactivated agent is online but inactive: never a candidate
        s.get(Agent, ids[0]).availability = "online"
        assert ids[0] not in {c.agent_id for c in assign.candidates(s, world.team.id, "email", frozen_clock[0])}


def test_shift_hours_keep_work_from_agents_off_shift(db, world, frozen_clock, run):
    from rapport.calendars import service as calendars

    ids = team_agents(db, world, 1)
    online(db, *ids)
    day_shift = {"timezone": "UTC", "weekly": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
    with db.write() as s:
        calendar = calendars.create(s, SYSTEM, name="Day shift", spec=day_shift).id
        service.set_capacity(s, SYSTEM, ids[0], capacity=5, calendar_id=calendar)
    routed(db, world)
    run()
    frozen_clock[0] = frozen_clock[0].replace(hour=20)  # Monday evening: the day shift is over
    evening = arrive(db, frozen_clock, world.email_inbox.id, "late@customer.test")
    run()
    assert assignee(db, evening) == ids[1]
    frozen_clock[0] += timedelta(days=1, hours=-10)  # Tuesday 10:00: on shift again (and the most room)
    morning = arrive(db, frozen_clock, world.email_inbox.id, "early@customer.test")
    run()
    assert assignee(db, morning) == ids[0]
