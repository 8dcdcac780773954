"""The public-holiday presets a calendar can use (the `holidays` package): countries, subdivisions, upcoming dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays as holidays_lib
from holidays import registry

from rapport.kit.calendar_spec import Calendar


@dataclass(frozen=True)
class Country:
    """A country the holiday preset knows, by its ISO 3166-1 alpha-2 code, and its subdivisions (code, name)."""

    code: str
    name: str
    subdivisions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Holiday:
    """One public holiday: its local date, its name, and whether the calendar's own dates say otherwise that day."""

    date: date
    name: str
    overridden: bool = False


def _words(class_name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)


@cache
def countries() -> tuple[Country, ...]:
    """Every country with a holiday preset, by name."""
    supported = holidays_lib.list_supported_countries()
    out = []
    for class_name, code, *_ in registry.COUNTRIES.values():
        if code not in supported:
            continue
        entity = getattr(holidays_lib, class_name, None)
        names = {c: n for n, c in (getattr(entity, "subdivisions_aliases", None) or {}).items()}
        subdivisions = tuple((s, names.get(s, s)) for s in supported[code])
        out.append(Country(code, _words(class_name), subdivisions))
    return tuple(sorted(out, key=lambda c: c.name))


def country(code: str | None) -> Country | None:
    """The country of this code (any case), or None."""
    code = (code or "").upper()
    return next((c for c in countries() if c.code == code), None)


def upcoming(calendar: Calendar, start: date, days: int = 365) -> list[Holiday]:
    """The preset's holidays from `start` for `days` days (none without a preset), marking own dates."""
    if calendar.holidays is None:
        return []
    end = start + timedelta(days=days)
    found = holidays_lib.country_holidays(
        calendar.holidays.country, subdiv=calendar.holidays.subdivision, years=range(start.year, end.year + 1)
    )
    own = {o.date for o in calendar.dates}
    return [Holiday(d, name, d in own) for d, name in sorted(found.items()) if start <= d < end]
