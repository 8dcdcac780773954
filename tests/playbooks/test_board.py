"""Overdue playbook steps on the supervisor board: a count and a list, read through their partial index."""

from __future__ import annotations

from datetime import timedelta

from rapport.playbooks import service, tasks  # noqa: F401  (registers the due-time job)
from rapport.worker.runner import run_due
from tests.conftest import sign_in_as
from tests.plans import plan_of
from tests.playbooks.test_service import agent, start


def test_an_overdue_step_shows_on_the_board(client, db, world, template_id, conversation_id, frozen_clock):
    start(db, world, conversation_id, template_id)
    sign_in_as(client, "ada@example.com", "correct horse battery")
    board = client.get("/supervisor/board")
    assert 'data-figure="playbook-overdue">0<' in board.text and "No playbook step is overdue" in board.text
    frozen_clock[0] += timedelta(hours=3)
    run_due(db)
    board = client.get("/supervisor/board")
    assert 'data-figure="playbook-overdue">1<' in board.text
    assert "1. Ask for photos of the damage" in board.text and f'href="/conversations/{conversation_id}"' in board.text


def test_the_overdue_steps_are_read_through_their_index(db, world, template_id, conversation_id):
    sup = agent(world, world.supervisor)
    plan = plan_of(db, lambda s: service.overdue(s, sup, limit=10), wants=("playbook_steps", "ORDER BY"))
    assert "ix_playbook_steps_overdue" in plan, plan
    count = plan_of(db, lambda s: service.overdue(s, sup, limit=10), wants=("count(",))
    assert "ix_playbook_steps_overdue" in count, count
