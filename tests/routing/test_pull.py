""" "Next best": an agent pulls the best waiting conversation they may take, atomically — two agents pulling at once
never get the same one (PostgreSQL: SKIP LOCKED; SQLite: its one writer)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kernel.permissions import SYSTEM
from rapport.kit.problems import Forbidden
from rapport.models import Agent, Conversation, Event
from rapport.routing import assign, service
from tests.routing.conftest import actor_of, arrive, skills, team_agents


def agents_of(db, *ids: int) -> list[Agent]:
    with db.read() as s:
        return [s.get(Agent, i) for i in ids]


def test_next_best_takes_the_head_of_the_queue_and_records_why(db, world, frozen_clock):
    old = arrive(db, frozen_clock, world.email_inbox.id, "old@customer.test")
    urgent = arrive(db, frozen_clock, world.email_inbox.id, "urgent@customer.test")
    with db.write() as s:
        s.get(Conversation, urgent).priority = "urgent"
    (me,) = agents_of(db, world.agent.id)
    with db.write() as s:
        assert assign.next_best(s, actor_of(me)).id == urgent
    with db.write() as s:
        assert assign.next_best(s, actor_of(me)).id == old
    with db.write() as s:
        assert assign.next_best(s, actor_of(me)) is None
    with db.read() as s:
        why = s.scalar(select(Event).where(Event.name == "conversation.routed", Event.conversation_id == urgent))
        assert why.payload["pulled"] is True and why.actor_id == me.id
        assert s.get(Conversation, urgent).assignee_id == me.id


def test_next_best_skips_conversations_needing_skills_the_agent_lacks(db, world, frozen_clock):
    skills(db, "de")
    german = arrive(db, frozen_clock, world.email_inbox.id, "de@customer.test")
    plain = arrive(db, frozen_clock, world.email_inbox.id, "en@customer.test")
    with db.write() as s:
        service.set_needs(s, SYSTEM, german, required=["de"], preferred=[])
    (me,) = agents_of(db, world.agent.id)
    with db.write() as s:
        assert assign.next_best(s, actor_of(me)).id == plain


def test_a_deactivated_agent_cannot_pull(db, world, frozen_clock):
    arrive(db, frozen_clock, world.email_inbox.id, "a@customer.test")
    with db.write() as s:
        s.get(Agent, world.agent.id).active = False
    (me,) = agents_of(db, world.agent.id)
    with db.write() as s, pytest.raises(Forbidden):
        assign.next_best(s, actor_of(me))


def test_two_sessions_pulling_at_once_never_take_the_same_conversation(db, world, frozen_clock):
    ids = team_agents(db, world, 1)
    made = {arrive(db, frozen_clock, world.email_inbox.id, f"p{n}@customer.test") for n in range(2)}
    one_agent, two_agent = agents_of(db, *ids)
    if db.engine.dialect.name == "postgresql":
        with Session(db.engine, autoflush=False) as one, Session(db.engine, autoflush=False) as two:
            first = assign.next_best(one, actor_of(one_agent))  # holds its row locked until it commits
            second = assign.next_best(two, actor_of(two_agent))  # skips it and takes the other
            assert {first.id, second.id} == made
            assert assign.next_best(two, actor_of(two_agent)) is None  # the first one is held: nothing left
            one.commit()
            two.commit()
    else:
        # SQLite has one writer at a time: the second pull starts after the first commits and sees it taken.
        with db.write() as one:
            first = assign.next_best(one, actor_of(one_agent))
        with db.write() as two:
            second = assign.next_best(two, actor_of(two_agent))
        assert {first.id, second.id} == made


def test_many_agents_pulling_concurrently_each_get_a_different_conversation(db, world, frozen_clock):
    ids = team_agents(db, world, 5)
    made = {arrive(db, frozen_clock, world.email_inbox.id, f"c{n}@customer.test") for n in range(4)}
    people = agents_of(db, *ids)
    start = threading.Barrier(len(people))
    got: list[int | None] = []
    errors: list[BaseException] = []

    def pull(agent: Agent) -> None:
        try:
            start.wait()
            with db.write() as s:
                conv = assign.next_best(s, actor_of(agent))
                got.append(conv.id if conv else None)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=pull, args=(a,)) for a in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    taken = [g for g in got if g is not None]
    assert sorted(taken) == sorted(made) and got.count(None) == len(people) - len(made)
    with db.read() as s:
        owners = {c.id: c.assignee_id for c in s.scalars(select(Conversation).where(Conversation.id.in_(made)))}
        assert len(set(owners.values())) == len(made)
