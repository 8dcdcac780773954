"""The solve guard: a guarding playbook with required steps open refuses solving (nothing written) until its steps
are done or a supervisor overrides it with a reason, which is recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.conversations.status import move
from rapport.kit.problems import Conflict
from rapport.models import Conversation, Event
from rapport.models.enums import Status
from rapport.playbooks import service
from tests.playbooks.conftest import run_of
from tests.playbooks.test_service import agent, start


def solve(db, world, conversation_id, actor=None) -> None:
    """Solve the conversation as the lifecycle does for a person."""
    with db.write() as s:
        move(s, actor or agent(world), s.get(Conversation, conversation_id), Status.solved)


def status(db, conversation_id) -> str:
    """The conversation's status."""
    with db.read() as s:
        return s.get(Conversation, conversation_id).status


def test_open_required_steps_refuse_solving(db, world, template_id, conversation_id):
    start(db, world, conversation_id, template_id)
    with pytest.raises(Conflict) as refused:
        solve(db, world, conversation_id)
    assert "Ask for photos of the damage" in refused.value.detail
    assert refused.value.extra["open_steps"][0]["playbook"] == "Damaged delivery"
    assert status(db, conversation_id) == "new"
    with db.read() as s:
        assert s.scalar(select(Event.id).where(Event.name == "conversation.status_changed")) is None


def test_done_required_steps_let_it_be_solved_with_optional_ones_open(db, world, template_id, conversation_id):
    run_id = start(db, world, conversation_id, template_id)
    with db.write() as s:
        service.complete_step(s, agent(world), run_id, 0, note="Photos in.")
        service.complete_step(s, agent(world), run_id, 1)
    solve(db, world, conversation_id)
    assert status(db, conversation_id) == "solved"
    assert run_of(db, run_id).state == "running"  # the optional claim is still to do


def test_a_supervisor_override_is_recorded_and_lets_it_be_solved(db, world, template_id, conversation_id):
    run_id = start(db, world, conversation_id, template_id)
    with db.write() as s:
        service.override(s, agent(world, world.supervisor), run_id, reason="Customer asked to close; refund sent")
    solve(db, world, conversation_id)
    assert status(db, conversation_id) == "solved"
    run = run_of(db, run_id)
    assert (run.override_by_id, run.override_reason) == (world.supervisor.id, "Customer asked to close; refund sent")
    with db.read() as s:
        event = s.scalar(select(Event).where(Event.name == "playbook.overridden"))
    assert event.actor_id == world.supervisor.id and event.payload["reason"].startswith("Customer asked")


def test_a_playbook_that_does_not_guard_never_refuses(db, world, office, conversation_id):
    from tests.playbooks.conftest import damaged_delivery, make_template

    template_id = make_template(db, damaged_delivery(world.team.id, office, blocks_solve=False))
    start(db, world, conversation_id, template_id)
    solve(db, world, conversation_id)
    assert status(db, conversation_id) == "solved"


def test_closing_cancels_what_still_runs(db, world, template_id, conversation_id):
    run_id = start(db, world, conversation_id, template_id)
    with db.write() as s:
        service.override(s, agent(world, world.supervisor), run_id, reason="Handled by phone")
    solve(db, world, conversation_id)
    assert run_of(db, run_id).state == "running"  # solved: it may still reopen
    with db.write() as s:
        move(s, agent(world), s.get(Conversation, conversation_id), Status.closed)
    run = run_of(db, run_id)
    assert (run.state, run.cancel_reason) == ("cancelled", "the conversation was closed")
