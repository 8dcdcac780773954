"""The conversation page's Snooze control: its presets in the agent's time zone, and what a submitted form means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapport.kit.clock import zone_or_utc
from rapport.kit.problems import Invalid

LATER_HOURS = 3
MORNING = time(9, 0)
MONDAY = 0


@dataclass(frozen=True)
class Preset:
    """A button of the Snooze control: its form value, its words and the time it stands for."""

    key: str
    label: str
    at: datetime


def _morning(day, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=zone).astimezone(UTC)


def presets(at: datetime, tz: str | None) -> list[Preset]:
    """Later today (in 3 hours), tomorrow at 09:00 and next Monday at 09:00, in the agent's time zone."""
    zone = zone_or_utc(tz)
    today = at.astimezone(zone).date()
    monday = today + timedelta(days=(MONDAY - today.weekday()) % 7 or 7)
    later = (at + timedelta(hours=LATER_HOURS)).replace(microsecond=0)
    return [
        Preset("later", f"Later today (in {LATER_HOURS} hours)", later),
        Preset("tomorrow", "Tomorrow at 09:00", _morning(today + timedelta(days=1), zone)),
        Preset("next_week", f"Next week (Monday {monday:%-d %b}, 09:00)", _morning(monday, zone)),
    ]


def chosen(form: dict[str, str], *, at: datetime, tz: str | None) -> datetime:
    """The wake-up time a Snooze form asks for: a preset's, or the date and time typed (in the agent's zone)."""
    key = form.get("preset", "")
    found = next((p for p in presets(at, tz) if p.key == key), None)
    if found is not None:
        return found.at
    typed = (form.get("until") or "").strip()
    if not typed:
        raise Invalid("Choose when to wake it: a preset, or a date and time.", errors=[{"field": "until"}])
    try:
        local = datetime.fromisoformat(typed)
    except ValueError:
        raise Invalid("Give the date and time as 2026-12-08T09:00.", errors=[{"field": "until"}]) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone_or_utc(tz))
    return local.astimezone(UTC)
