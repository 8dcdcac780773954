"""The closed loop: an answer's attribution, kudos and follow-ups, made after the answer committed, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rapport.events.consumers import run_consumers
from rapport.kernel.permissions import Actor
from rapport.kit.problems import Conflict, Forbidden, Invalid
from rapport.models import Attribution, Conversation, Job, SurveyRequest
from rapport.models.enums import Role
from rapport.recognition import followups
from rapport.worker.runner import run_due
from tests.recognition.conftest import answer, followup_rows, kudos_rows, named, surveyed


def test_nothing_happens_inside_the_answer_transaction(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="5", expectations="3", comment="Alex was great")
    assert kudos_rows(db) == [] and followup_rows(db) == []  # the consumer has not run yet
    run_consumers(db)
    (k,) = kudos_rows(db)
    assert (k.agent_id, k.team_id, k.request_id) == (world.agent.id, world.team.id, request_id)
    assert k.summary == "CSAT 5/5, expectations exceeded" and k.comment == "Alex was great"
    with db.read() as s:
        (a,) = s.scalars(select(Attribution)).all()
        assert (a.agent_id, a.replied, a.last_responder, a.classification) == (world.agent.id, True, True, "positive")
    (given,) = named(db, "kudos.given")
    assert given.payload["agent_id"] == world.agent.id and given.conversation_id == k.conversation_id
    (thanks,) = followup_rows(db)  # exceeded: a personal thank-you task for the last responder
    assert (thanks.kind, thanks.owner_id, thanks.state, thanks.signals) == (
        "thanks", world.agent.id, "open", ["expectations_exceeded"],
    )  # fmt: skip


def test_an_unhappy_answer_opens_a_recovery_follow_up_for_the_team_lead(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    answered_at = frozen_clock[0]
    answer(db, request_id, token, csat="1", expectations="1")
    run_consumers(db)
    assert kudos_rows(db) == []
    (f,) = followup_rows(db)
    assert (f.kind, f.owner_id, f.team_id) == ("recovery", world.supervisor.id, world.team.id)
    assert f.signals == ["csat_low", "expectations_failed"]
    assert f.due_at == answered_at + timedelta(minutes=480)  # no calendar on the conversation: every minute counts
    (opened,) = named(db, "followup.opened")
    assert opened.payload["owner_id"] == world.supervisor.id
    with db.read() as s:
        assert s.scalar(select(Job.due_at).where(Job.dedupe_key == followups.job_key(f.id))) == f.due_at


def test_a_re_answer_updates_and_never_duplicates(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    fresh = answer(db, request_id, token, csat="5", comment="Lovely")
    run_consumers(db)
    fresh = answer(db, request_id, fresh, csat="4", comment="Lovely, really")
    run_consumers(db)
    run_consumers(db)
    (k,) = kudos_rows(db)
    assert k.comment == "Lovely, really" and k.summary == "CSAT 4/5"
    assert len(named(db, "kudos.given")) == 1  # one notification, however often they answer
    answer(db, request_id, fresh, csat="2")  # changed their mind: no kudos now, a recovery follow-up
    run_consumers(db)
    assert kudos_rows(db) == []
    (f,) = followup_rows(db)
    assert (f.kind, f.state) == ("recovery", "open")


def test_a_happier_re_answer_cancels_the_open_follow_up_and_an_unhappy_one_reopens_it(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    fresh = answer(db, request_id, token, csat="1")
    run_consumers(db)
    fresh = answer(db, request_id, fresh, csat="3")
    run_consumers(db)
    (f,) = followup_rows(db)
    assert f.state == "cancelled"
    assert len(named(db, "followup.cancelled")) == 1
    with db.read() as s:
        assert s.scalar(select(Job).where(Job.dedupe_key == followups.job_key(f.id))) is None
    frozen_clock[0] += timedelta(hours=1)
    answer(db, request_id, fresh, csat="2")  # unhappy again: the same task opens again, with a new due time
    run_consumers(db)
    (again,) = followup_rows(db)
    assert (again.id, again.state, again.due_at) == (f.id, "open", frozen_clock[0] + timedelta(minutes=480))
    with db.read() as s:
        assert s.scalar(select(Job.due_at).where(Job.dedupe_key == followups.job_key(f.id))) == again.due_at


def test_an_overdue_follow_up_is_recorded_at_its_instant(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="1")
    run_consumers(db)
    (f,) = followup_rows(db)
    frozen_clock[0] = f.due_at - timedelta(seconds=1)
    run_due(db)
    assert named(db, "followup.overdue") == []
    frozen_clock[0] = f.due_at
    run_due(db)
    assert [e.payload["followup_id"] for e in named(db, "followup.overdue")] == [f.id]


def _lead(world) -> Actor:
    return Actor(kind="agent", id=world.supervisor.id, role=Role.supervisor, team_ids=frozenset({world.team.id}))


def test_completing_needs_a_listed_reason_code_and_an_outcome(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="1")
    run_consumers(db)
    (f,) = followup_rows(db)
    with db.write() as s, pytest.raises(Invalid, match="RAPPORT_FOLLOWUP_REASON_CODES"):
        followups.complete(s, _lead(world), f.id, reason_code="made_up", outcome="Called")
    with db.write() as s, pytest.raises(Invalid, match="outcome"):
        followups.complete(s, _lead(world), f.id, reason_code="slow_response", outcome="  ")
    with db.write() as s, pytest.raises(Invalid, match="RAPPORT_FOLLOWUP_OUTCOME_MAX_CHARS"):
        followups.complete(s, _lead(world), f.id, reason_code="slow_response", outcome="x" * 2001)
    with db.write() as s:
        followups.complete(s, _lead(world), f.id, reason_code="slow_response", outcome="Called; refund sent")
    (f,) = followup_rows(db)
    assert (f.state, f.reason_code, f.outcome, f.done_by_id) == (
        "done", "slow_response", "Called; refund sent", world.supervisor.id,
    )  # fmt: skip
    (done,) = named(db, "followup.done")
    assert done.payload["reason_code"] == "slow_response" and done.actor_id == world.supervisor.id
    with db.write() as s, pytest.raises(Conflict):
        followups.complete(s, _lead(world), f.id, reason_code="slow_response", outcome="again")


def test_another_teams_agent_may_not_complete_it(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="1")
    run_consumers(db)
    (f,) = followup_rows(db)
    outsider = Actor(kind="agent", id=world.agent2.id, role=Role.agent)
    with db.write() as s, pytest.raises(Forbidden):
        followups.complete(s, outsider, f.id, reason_code="other", outcome="Not mine")
    member = Actor(kind="agent", id=world.agent.id, role=Role.agent, team_ids=frozenset({world.team.id}))
    with db.write() as s:
        followups.complete(s, member, f.id, reason_code="other", outcome="Called back")


def test_a_follow_up_without_a_team_goes_to_a_supervisor(db, world, frozen_clock):
    request_id, token = surveyed(db, world, frozen_clock)
    with db.write() as s:
        conv = s.get(Conversation, s.get(SurveyRequest, request_id).conversation_id)
        conv.team_id = None
    answer(db, request_id, token, csat="2")
    run_consumers(db)
    (f,) = followup_rows(db)
    assert f.owner_id == world.supervisor.id and f.team_id is None


def test_the_due_time_counts_business_hours_on_the_conversations_calendar(db, world, frozen_clock, policy):
    request_id, token = surveyed(db, world, frozen_clock)
    frozen_clock[0] = datetime(2026, 11, 6, 16, 0, tzinfo=UTC)  # Friday, an hour before the office closes
    answer(db, request_id, token, csat="1")
    run_consumers(db)
    (f,) = followup_rows(db)
    assert f.calendar_version_id is not None
    assert f.due_at == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)  # 1 h on Friday, 7 h on Monday
