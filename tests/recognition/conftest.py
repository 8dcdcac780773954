"""Recognition's fixtures: a survey mailed for a conversation Alex replied to, answered through the survey's own
recording path, and the consumers run as the worker runs them."""

from __future__ import annotations

from sqlalchemy import select

from rapport.events.consumers import run_consumers
from rapport.models import Event, FollowUp, Kudos
from rapport.recognition import react
from rapport.surveys import answers
from tests.sla.conftest import calendar_id, policy  # noqa: F401 (fixtures: an office-hours policy)
from tests.surveys.conftest import sent

assert react.recognition  # importing it registers the consumer and the overdue job, as the worker does


def answer(db, request_id: int, token: str, **form) -> str:
    """Record answers (`csat="5"` …) as the survey page does; the fresh token for a re-answer."""
    with db.write() as s:
        return answers.record_answers(
            s, request_id, token, {f"q_{k}": v for k, v in form.items()}, client="198.51.100.7"
        )


def surveyed(db, world, frozen_clock) -> tuple[int, str]:
    """A survey sent for a conversation Alex replied to and solved; the consumers' cursors placed before it."""
    run_consumers(db)  # a new consumer starts at the present
    return sent(db, world, frozen_clock)


def kudos_rows(db) -> list[Kudos]:
    """Every kudos."""
    with db.read() as s:
        rows = list(s.scalars(select(Kudos).order_by(Kudos.id)))
        s.expunge_all()
        return rows


def followup_rows(db) -> list[FollowUp]:
    """Every follow-up."""
    with db.read() as s:
        rows = list(s.scalars(select(FollowUp).order_by(FollowUp.id)))
        s.expunge_all()
        return rows


def named(db, name: str) -> list[Event]:
    """Events called `name`, oldest first."""
    with db.read() as s:
        rows = list(s.scalars(select(Event).where(Event.name == name).order_by(Event.id)))
        s.expunge_all()
        return rows
