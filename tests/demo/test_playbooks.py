"""The demo's playbooks: three templates, each running on a few of its open conversations, some steps overdue."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from rapport.demo import generate
from rapport.demo.playbooks import ensure_playbooks
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
        assert sorted(s.scalars(select(PlaybookTemplate.name))) == [
            "Account compromise", "Damaged delivery", "Refund over limit"
        ]  # fmt: skip
        runs = dict(s.execute(select(PlaybookRun.template_id, func.count()).group_by(PlaybookRun.template_id)).all())
        assert len(runs) == 3 and all(n > 0 for n in runs.values())
        overdue = s.scalar(select(func.count()).where(PlaybookStep.overdue_at.is_not(None)))
        assert overdue > 0
    assert ensure_playbooks(db) is False  # a second start adds nothing
