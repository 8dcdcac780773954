"""The demo's service targets: an office calendar with England's bank holidays, a 24/7 calendar for chat, and
three policies, applied to the open conversations so the inbox shows live clocks (some breached, some due soon)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rapport.calendars import service as calendars
from rapport.db.session import Database
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from rapport.models import BusinessCalendar
from rapport.sla import due, policies, reevaluate

HOUR = 3600
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {
    "timezone": "Europe/London",
    "weekly": {day: ["08:00-18:00"] for day in WEEKDAYS} | {"sat": ["09:00-13:00"]},
    "holidays": {"country": "GB", "subdivision": "ENG"},
}


def _policies(office: int, always: int) -> list[dict]:
    return [
        {
            "name": "VIP and urgent",
            "description": "Customers we promised more, and anything marked urgent.",
            "condition": {"any": [{"field": "vip", "op": "eq", "value": True},
                                  {"field": "priority", "op": "eq", "value": "urgent"}]},
            "targets": [
                {"kind": "first_reply", "seconds": HOUR // 2, "calendar_id": office},
                {"kind": "next_reply", "seconds": 2 * HOUR, "calendar_id": office},
                {"kind": "resolution", "seconds": 8 * HOUR, "calendar_id": office},
            ],
        },
        {
            "name": "Live chat",
            "description": "A person answers a chat within minutes, day and night.",
            "condition": {"field": "channel", "op": "eq", "value": "chat"},
            "targets": [
                {"kind": "first_reply", "seconds": 120, "calendar_id": always},
                {"kind": "next_reply", "seconds": 300, "calendar_id": always},
                {"kind": "human", "seconds": 180, "business": False},
            ],
        },
        {
            "name": "Standard",
            "description": "Every other conversation: answered within the working day, solved within three.",
            "condition": None,
            "targets": [
                {"kind": "first_reply", "seconds": 4 * HOUR, "calendar_id": office},
                {"kind": "next_reply", "seconds": 8 * HOUR, "calendar_id": office},
                {"kind": "periodic_update", "seconds": 24 * HOUR, "calendar_id": office},
                {"kind": "resolution", "seconds": 30 * HOUR, "calendar_id": office},
            ],
        },
    ]  # fmt: skip


def ensure_targets(db: Database, *, since_days: int = 200) -> bool:
    """Add the demo's calendars and policies unless there are calendars already; True when they were added."""
    since = now() - timedelta(days=since_days)
    with db.write() as s:
        if s.scalar(select(BusinessCalendar.id).limit(1)) is not None:
            return False
        office = calendars.create(
            s,
            SYSTEM,
            name="London office",
            spec=OFFICE,
            effective_from=since,
            description="Weekdays 08:00-18:00 and Saturday mornings, closed on England's bank holidays.",
        ).id
        always = calendars.create(
            s,
            SYSTEM,
            name="Around the clock",
            spec=calendars.always_open("Europe/London"),
            effective_from=since,
            description="Every minute of every day: the chat is always staffed.",
        ).id
        for policy in _policies(office, always):
            policies.create(s, SYSTEM, effective_from=since, **policy)
    apply_to_open(db)
    return True


def apply_to_open(db: Database) -> int:
    """Match every open conversation's policy now and record the warnings and breaches already due (the worker
    would, batch by batch; the demo starts with them in place). Returns how many conversations were matched."""
    after, matched = 0, 0
    while True:
        with db.write() as s:
            ids = reevaluate.active_after(s, after)
            if not ids:
                break
            reevaluate.rematch(s, dict.fromkeys(ids, "the demo's policies"))
        after, matched = ids[-1], matched + len(ids)
    while True:
        with db.write() as s:
            if not due.fire_due(s):
                break
    return matched
