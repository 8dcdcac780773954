"""The demo's survey: CSAT and expectations after solving, with months of answers that follow the service each
conversation had (a long first wait, a reopen or a long back-and-forth lowers the score), so the report tells a
story; the survey stays active, so conversations solved while the demo runs are surveyed live."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from rapport.db.session import Database
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, Survey, SurveyAnswer, SurveyRequest
from rapport.surveys import service
from rapport.surveys.questions import DEFAULT_PROMPTS
from rapport.surveys.schemas import Question, Rules

RESPONSE_RATE = 0.32
GOOD_REASONS = ("Quick answer", "Knew the answer", "Friendly and patient")
BAD_REASONS = ("Waited too long", "Had to explain again", "Problem not solved")
# German for customers whose profile says `de`: the questions and their labels (what is stored does not change).
GERMAN = {
    "csat": {"prompt": "Wie zufrieden waren Sie mit unserer Hilfe?",
             "labels": ["Sehr schlecht", "Schlecht", "Okay", "Gut", "Sehr gut"]},
    "expectations": {"prompt": "Wie war unser Service im Vergleich zu Ihren Erwartungen?",
                     "labels": ["Unter meinen Erwartungen", "Wie erwartet", "Über meinen Erwartungen"]},
}  # fmt: skip
QUESTIONS = [
    Question(key="csat", kind="csat", prompt=DEFAULT_PROMPTS["csat"], points=5, translations={"de": GERMAN["csat"]}),
    Question(
        key="expectations",
        kind="expectations",
        prompt=DEFAULT_PROMPTS["expectations"],
        translations={"de": GERMAN["expectations"]},
    ),  # fmt: skip
    Question(key="reason", kind="reason", prompt=DEFAULT_PROMPTS["reason"], options=[*GOOD_REASONS, *BAD_REASONS]),
    Question(key="comment", kind="text", prompt=DEFAULT_PROMPTS["text"]),
]
COMMENTS = {
    5: ("Sorted in one reply, thank you!", "Lovely service.", "Really helpful."),
    4: ("Good, a bit slow to start.", "Fine, thanks."),
    2: ("Took days to hear back.", "I had to chase twice."),
    1: ("Still not fixed.", "Nobody read my first message."),
}


def score_for(wait_hours: float, reopens: int, messages: int, rng: random.Random) -> int:
    """A CSAT score (1–5) for a conversation's service: 4.6, less for each hour of first wait (up to 2 points),
    a reopen (1.2) and a long thread (0.15 per message past six), with a person's noise."""
    base = 4.6 - min(wait_hours / 6, 2.0) - 1.2 * reopens - 0.15 * max(messages - 6, 0)
    return max(1, min(5, round(base + rng.gauss(0, 0.7))))


def ensure_surveys(db: Database, *, seed: int = 17) -> bool:
    """Add the demo's survey and its past answers unless there is a survey already; True when they were added."""
    rng = random.Random(seed)
    with db.write() as s:
        if s.scalar(select(Survey.id).limit(1)) is not None:
            return False
        survey = service.create(
            s, SYSTEM, name="After solving", questions=QUESTIONS,
            rules=Rules(delay_minutes=60, min_messages=2, cooldown_days=14, sample_percent=100, expiry_days=7,
                        channels=["email", "chat", "portal", "phone"], offer_callback=True),
        )  # fmt: skip
        version_id = survey.current_version_id
        rows = s.execute(
            select(
                Conversation.id, Conversation.customer_id, Conversation.channel, Conversation.created_at,
                Conversation.first_reply_at, Conversation.solved_at, Conversation.reopen_count,
                Conversation.message_count,
            ).where(Conversation.solved_at.is_not(None), Conversation.first_reply_at.is_not(None),
                    Conversation.channel == "email", Conversation.merged_into_id.is_(None))
            .order_by(Conversation.id)
        ).all()  # fmt: skip
        for conv_id, customer_id, channel, created, first_reply, solved, reopens, messages in rows:
            sent_at = solved + timedelta(hours=1)
            answered = rng.random() < RESPONSE_RATE
            request = SurveyRequest(
                survey_id=survey.id, version_id=version_id, conversation_id=conv_id, customer_id=customer_id,
                channel=channel, target="", state="answered" if answered else "expired", reason="", due_at=None,
                sent_at=sent_at, expires_at=sent_at + timedelta(days=7), created_at=solved, updated_at=sent_at,
                answered_at=sent_at + timedelta(minutes=rng.randint(5, 2 * 24 * 60)) if answered else None,
            )  # fmt: skip
            s.add(request)
            if not answered:
                continue
            s.flush()
            wait = (first_reply - created).total_seconds() / 3600
            score = score_for(wait, reopens or 0, messages or 0, rng)
            expect = 3 if score == 5 and wait < 2 and rng.random() < 0.6 else 1 if score <= 2 else 2
            at = request.answered_at
            answers = [
                ("csat", "csat", score, None, None),
                ("expectations", "expectations", expect, ("failed", "met", "exceeded")[expect - 1], None),
            ]
            if rng.random() < 0.7:
                pool = GOOD_REASONS if score >= 4 else BAD_REASONS
                answers.append(("reason", "reason", None, rng.choice(pool), None))
            if score in COMMENTS and rng.random() < 0.3:
                answers.append(("comment", "text", None, None, rng.choice(COMMENTS[score])))
            s.add_all(
                SurveyAnswer(
                    request_id=request.id, question=q, kind=k, score=v, choice=c, text=t, created_at=at, updated_at=at
                )  # fmt: skip
                for q, k, v, c, t in answers
            )
        s.flush()
    return True
