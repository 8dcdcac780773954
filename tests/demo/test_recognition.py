"""The demo's kudos and follow-ups, derived from its past survey answers."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from rapport.demo import generate
from rapport.demo.recognition import ensure_recognition
from rapport.demo.surveys import ensure_surveys
from rapport.models import FollowUp, Kudos

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_the_demo_has_kudos_and_follow_ups_some_open_some_done(db, frozen_clock):
    frozen_clock[0] = NOW
    generate(db, conversations=1000, customers=250, now=NOW)
    assert ensure_surveys(db) is True
    assert ensure_recognition(db) is True
    with db.read() as s:
        kudos = s.scalar(select(func.count()).select_from(Kudos))
        states = dict(
            s.execute(
                select(FollowUp.state, func.count()).where(FollowUp.kind == "recovery").group_by(FollowUp.state)
            ).all()
        )
        done = list(s.scalars(select(FollowUp).where(FollowUp.state == "done").limit(5)))
        thanks = s.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.kind == "thanks"))
    assert kudos > 20 and thanks > 0
    assert states.get("open", 0) > 0 and states.get("done", 0) > states["open"]
    assert all(f.done_at and (f.reason_code or f.kind == "thanks") and f.outcome for f in done)
    assert ensure_recognition(db) is False  # a second start adds nothing
