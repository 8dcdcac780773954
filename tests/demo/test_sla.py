"""The demo's service targets: two calendars, three policies, and live clocks on its open conversations."""

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from rapport.demo import generate
from rapport.demo.sla import ensure_targets
from rapport.models import BusinessCalendar, Conversation, Event, SlaClock, SlaPolicy
from rapport.models.enums import ACTIVE_STATUSES

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)  # a Monday noon: the office calendar is open


def test_the_demo_runs_clocks_on_its_open_conversations(db, frozen_clock):
    frozen_clock[0] = NOW
    generate(db, conversations=3000, customers=600, now=NOW)
    assert ensure_targets(db) is True
    with db.read() as s:
        assert sorted(s.scalars(select(BusinessCalendar.name))) == ["Around the clock", "London office"]
        assert list(s.scalars(select(SlaPolicy.name).order_by(SlaPolicy.position))) == [
            "VIP and urgent",
            "Live chat",
            "Standard",
        ]
        active = [s.value for s in ACTIVE_STATUSES]
        unmatched = s.scalar(
            select(func.count()).where(Conversation.status.in_(active), Conversation.sla_policy_id.is_(None))
        )
        assert unmatched == 0  # "Standard" takes whatever the others do not
        states = Counter(s.scalars(select(SlaClock.state)))
        assert states["breached"] and states["running"] and states["paused"]
        # Some deadlines are still ahead: the inbox's Due soon view has something to order.
        ahead = s.scalar(select(func.count()).where(Conversation.sla_due_at > NOW))
        assert ahead > 0
        breaches = s.scalar(select(func.count()).where(Event.name == "sla.breached"))
        assert breaches == s.scalar(select(func.count()).where(SlaClock.breached_at.is_not(None)))
    assert ensure_targets(db) is False  # a second start adds nothing
