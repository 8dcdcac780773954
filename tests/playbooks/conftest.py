"""Playbook fixtures: an office-hours calendar, a three-step template, a conversation to run it on."""

from __future__ import annotations

import pytest

from rapport.kernel.permissions import SYSTEM
from rapport.models import PlaybookRun, PlaybookStep
from rapport.playbooks import templates
from tests.sla.conftest import add_calendar, write_in

HOUR = 3600


def damaged_delivery(team_id: int, calendar_id: int | None = None, **extra) -> dict:
    """A template: photos within 2 business hours (a note), a replacement decision 4 hours later (team), an optional
    courier claim (a field value)."""
    return {
        "name": "Damaged delivery",
        "description": "The parcel arrived broken.",
        "blocks_solve": True,
        "calendar_id": calendar_id,
        "match": {"tags": ["damaged"], "categories": []},
        "steps": [
            {"title": "Ask for photos of the damage", "evidence": "note", "offset_seconds": 2 * HOUR},
            {
                "title": "Decide on a replacement",
                "owner": "team",
                "team_id": team_id,
                "offset_seconds": 4 * HOUR,
                "offset_from": "previous",
            },
            {"title": "File the courier claim", "required": False, "evidence": "field", "field": "claim_number"},
        ],
        **extra,
    }


def make_template(db, content: dict) -> int:
    """A template created by the system; its id."""
    with db.write() as s:
        return templates.create(s, SYSTEM, content).id


def steps(db, run_id: int) -> list[PlaybookStep]:
    """A run's steps, detached, in order."""
    with db.read() as s:
        rows = list(s.query(PlaybookStep).filter_by(run_id=run_id).order_by(PlaybookStep.position))
        for row in rows:
            s.expunge(row)
        return rows


def run_of(db, run_id: int) -> PlaybookRun:
    """A run, detached."""
    with db.read() as s:
        run = s.get(PlaybookRun, run_id)
        s.expunge(run)
        return run


@pytest.fixture
def office(db) -> int:
    """Monday to Friday 09:00-17:00 UTC."""
    return add_calendar(db)


@pytest.fixture
def template_id(db, world, office) -> int:
    """The damaged-delivery template on office hours."""
    return make_template(db, damaged_delivery(world.team.id, office))


@pytest.fixture
def conversation_id(db, world, frozen_clock) -> int:
    """A conversation opened by a customer's message on Monday 2 Nov 2026 09:00 UTC."""
    return write_in(db, world, "My parcel arrived crushed")
