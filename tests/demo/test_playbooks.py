"""The demo's playbooks: three templates, each running on a few of its open conversations, some steps overdue; and
two internal tasks (one-step playbooks) that only its rules start."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from rapport.demo import generate
from rapport.demo.playbooks import TASK_FOLLOW_UP, TASK_THANK_YOU, ensure_playbooks
from rapport.demo.sla import ensure_targets
from rapport.models import PlaybookRun, PlaybookStep, PlaybookTemplate
from rapport.playbooks import tasks  # noqa: F401  (registers the due-time job)
from rapport.worker.runner import run_due

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_the_demo_runs_three_playbooks_with_steps_overdue(db, frozen_clock):
    frozen_clock[0] = NOW
    generate(db, conversations=1500, customers=300, now=NOW)
    ensure_targets(db)
    assert ensure_playbooks(db) is True
    while run_due(db):
        pass
    with db.read() as s:
        names = dict(s.execute(select(PlaybookTemplate.id, PlaybookTemplate.name)).all())
        assert sorted(names.values()) == [
            "Account compromise", "Damaged delivery", "Refund over limit", TASK_FOLLOW_UP, TASK_THANK_YOU
        ]  # fmt: skip
        runs = dict(s.execute(select(PlaybookRun.template_id, func.count()).group_by(PlaybookRun.template_id)).all())
        assert sorted(names[t] for t in runs) == ["Account compromise", "Damaged delivery", "Refund over limit"]
        assert all(n > 0 for n in runs.values())  # the tasks wait for the rules that start them
        overdue = s.scalar(select(func.count()).where(PlaybookStep.overdue_at.is_not(None)))
        assert overdue > 0
    assert ensure_playbooks(db) is False  # a second start adds nothing
