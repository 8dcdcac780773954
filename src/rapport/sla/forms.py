"""The policy form of the admin pages: its fields to a condition and targets as the service takes them, and back.

Each promise kind has its own fields (`<kind>-on`, `-amount`, `-unit`, `-time`, `-calendar`, `-pause`, `-warn`); the
condition is JSON in a text box (the saved views' form has no VIP flag, no customer attribute and no `in`). The
service's errors name `targets[i].<field>` and `condition.<path>`; `form_errors` puts each beside its form field.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kit.problems import Invalid
from rapport.models import BusinessCalendar
from rapport.sla.targets import DEFAULT_PAUSES, DEFAULT_WARN_SHARE, KINDS, LABELS, NEVER_PAUSED, PAUSABLE

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
UNIT_SHORT = {"minutes": "min", "hours": "h", "days": "d"}
CONDITION_CHARS = 20_000
HINTS = {
    "first_reply": "From the conversation's start to a person's first reply.",
    "next_reply": "From the oldest customer message a person has not answered yet to the reply.",
    "periodic_update": "Between replies by a person while the conversation stays open.",
    "resolution": "From the start until the conversation is solved.",
    "human": "From the customer asking for a person until one takes the conversation.",
}
_TARGET_FIELD = re.compile(r"^targets\[(\d+)\]\.(\w+)$")
_FORM_FIELD = {"seconds": "amount", "calendar_id": "calendar", "pause_on": "pause", "warn_share": "warn"}


def calendars(session: Session) -> list[tuple[int, str]]:
    """The calendars a target may count on, by name."""
    rows = session.execute(select(BusinessCalendar.id, BusinessCalendar.name).order_by(BusinessCalendar.name))
    return [(r.id, r.name) for r in rows]


def blank(calendar_ids: list[int]) -> dict:
    """The form of a new policy: a first reply in 4 hours and a resolution in 3 days, on the first calendar."""
    stored = [{"kind": "first_reply", "seconds": 4 * 3600}, {"kind": "resolution", "seconds": 3 * 86400}]
    for target in stored:
        target.update(business=bool(calendar_ids), calendar_id=calendar_ids[0] if calendar_ids else None)
        target["pause_on"] = list(DEFAULT_PAUSES.get(target["kind"], ()))
        target["warn_share"] = DEFAULT_WARN_SHARE
    return {"condition": "", "targets": from_targets(stored), "effective_from": "", "days": "30"}


def _amount(seconds: int) -> tuple[str, str]:
    for unit in ("days", "hours", "minutes"):
        if seconds % UNITS[unit] == 0:
            return str(seconds // UNITS[unit]), unit
    return f"{seconds / 60:g}", "minutes"


def from_targets(stored: list[dict]) -> dict[str, dict]:
    """Stored targets as the form's fields by kind (kinds not promised are off)."""
    out = {}
    by_kind = {t["kind"]: t for t in stored}
    for kind in KINDS:
        t = by_kind.get(kind)
        if t is None:
            out[kind] = {"on": False, "amount": "", "unit": "hours", "time": "business", "calendar": "", "pause": []}
            out[kind]["pause"] = list(DEFAULT_PAUSES.get(kind, ()))
            out[kind]["warn"] = str(round(DEFAULT_WARN_SHARE * 100))
            continue
        amount, unit = _amount(t["seconds"])
        warn = t.get("warn_share")
        out[kind] = {
            "on": True, "amount": amount, "unit": unit, "time": "business" if t.get("business", True) else "calendar",
            "calendar": str(t.get("calendar_id") or ""), "pause": list(t.get("pause_on") or []),
            "warn": "" if warn is None else f"{warn * 100:g}",
        }  # fmt: skip
    return out


def condition_text(stored: dict | None) -> str:
    """A stored condition as the form's text (blank for "every conversation")."""
    if not stored or stored == {"all": []}:
        return ""
    return json.dumps(stored, indent=2)


def read(form) -> dict:
    """The submitted form (a starlette FormData) as the page's fields: text by name, targets by kind."""
    text = {k: str(v) for k, v in form.items() if k != "csrf_token" and not k.startswith(KINDS)}
    targets = {}
    for kind in KINDS:
        targets[kind] = {
            "on": form.get(f"{kind}-on") == "on",
            **{f: str(form.get(f"{kind}-{f}") or "").strip() for f in ("amount", "unit", "time", "calendar", "warn")},
            "pause": [p for p in form.getlist(f"{kind}-pause") if p in PAUSABLE],
        }
    return {**text, "targets": targets}


def _fail(field: str, message: str) -> Invalid:
    return Invalid(message, errors=[{"field": field, "message": message}])


def to_targets(targets: dict[str, dict]) -> list[dict]:
    """The targets the form asks for, as the service takes them; a value the form cannot read is named."""
    out = []
    for kind in KINDS:
        t = targets[kind]
        if not t["on"]:
            continue
        try:
            amount = float(t["amount"].replace(",", "."))
        except ValueError:
            raise _fail(f"{kind}-amount", f"{LABELS[kind]}: enter a number.") from None
        if t["unit"] not in UNITS:
            raise _fail(f"{kind}-unit", f"{LABELS[kind]}: choose minutes, hours or days.")
        target: dict = {"kind": kind, "seconds": round(amount * UNITS[t["unit"]]), "business": t["time"] != "calendar"}
        if target["business"]:
            if not t["calendar"].isdigit():
                raise _fail(f"{kind}-calendar", f"{LABELS[kind]}: choose the calendar of business hours it counts on.")
            target["calendar_id"] = int(t["calendar"])
        if kind not in NEVER_PAUSED:
            target["pause_on"] = t["pause"]
        target["warn_share"] = _warn(kind, t["warn"])
        out.append(target)
    if not out:
        raise _fail("targets", "Turn on at least one target.")
    return out


def _warn(kind: str, text: str) -> float | None:
    if not text:
        return None
    try:
        percent = float(text)
    except ValueError:
        raise _fail(f"{kind}-warn", f"{LABELS[kind]}: enter the share left when the warning comes, 1 to 99.") from None
    if not 0 < percent < 100:
        raise _fail(f"{kind}-warn", f"{LABELS[kind]}: the warning comes with 1 to 99 % of the target left.")
    return percent / 100


def to_condition(text: str) -> dict | None:
    """The condition in the form's text box (blank: every conversation); JSON that does not read is named."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > CONDITION_CHARS:
        raise _fail("condition", f"Keep the condition to {CONDITION_CHARS} characters.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            "condition", f"This is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    if not isinstance(value, dict):
        raise _fail(
            "condition", 'A condition is a JSON object, such as {"field": "priority", "op": "eq", "value": "urgent"}.'
        )
    return value


def to_instant(text: str, timezone: str) -> datetime | None:
    """The form's date and time (in the admin's timezone) as an instant; blank is now."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise _fail("effective_from", "Enter a date and time, such as 2026-12-01 09:00.") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone or "UTC"))
    return local.astimezone(UTC)


def form_errors(errors: dict[str, str], enabled: list[str]) -> dict[str, str]:
    """The service's error keys as the form's: `targets[i].seconds` -> `<kind>-amount`, `condition.x` -> condition."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        found = _TARGET_FIELD.match(key)
        if found and int(found[1]) < len(enabled):
            kind = enabled[int(found[1])]
            key = f"{kind}-{_FORM_FIELD.get(found[2], 'on')}"
            message = f"{LABELS[kind]}: {message[0].lower()}{message[1:]}"
        elif key.startswith("condition"):
            key = "condition"
        out.setdefault(key, message)
    return out


def describe(stored: list[dict], names: dict[int, str]) -> list[str]:
    """Targets in a few words each: 'First reply in 4 h (business hours: Office)'."""
    out = []
    for t in stored:
        amount, unit = _amount(t["seconds"])
        where = f"business hours: {names.get(t.get('calendar_id'), 'calendar ' + str(t.get('calendar_id')))}"
        out.append(
            f"{LABELS[t['kind']]} in {amount} {UNIT_SHORT[unit]} ({where if t.get('business') else 'calendar time'})"
        )
    return out


def duration(seconds: int | None) -> str:
    """Seconds as a person reads them: '45 min', '3 h 20 min', '2 d 4 h'."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes or seconds == 0 else f"{seconds} s"
