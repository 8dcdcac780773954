"""The demo's survey: months of answers whose scores follow the service each conversation had."""

from datetime import UTC, datetime, timedelta
from statistics import mean

from sqlalchemy import select

from rapport.demo import generate
from rapport.demo.surveys import ensure_surveys
from rapport.models import Conversation, Survey, SurveyAnswer, SurveyRequest

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_the_demo_has_months_of_answers_that_follow_the_waits(db, frozen_clock):
    frozen_clock[0] = NOW
    generate(db, conversations=3000, customers=600, now=NOW)
    assert ensure_surveys(db) is True
    with db.read() as s:
        assert list(s.scalars(select(Survey.name))) == ["After solving"]
        rows = s.execute(
            select(SurveyAnswer.score, Conversation.created_at, Conversation.first_reply_at, SurveyRequest.sent_at)
            .join(SurveyRequest, SurveyRequest.id == SurveyAnswer.request_id)
            .join(Conversation, Conversation.id == SurveyRequest.conversation_id)
            .where(SurveyAnswer.question == "csat")
        ).all()
        requests = s.scalar(select(SurveyRequest.id).order_by(SurveyRequest.id.desc()).limit(1))
    assert len(rows) > 100 and len(rows) < requests  # some did not answer
    assert max(r.sent_at for r in rows) - min(r.sent_at for r in rows) > timedelta(days=90)
    quick = [r.score for r in rows if r.first_reply_at - r.created_at < timedelta(hours=1)]
    slow = [r.score for r in rows if r.first_reply_at - r.created_at > timedelta(hours=8)]
    assert quick and slow and mean(quick) > mean(slow) + 0.5
    assert {r.score for r in rows} == {1, 2, 3, 4, 5}
    assert ensure_surveys(db) is False  # a second start adds nothing
