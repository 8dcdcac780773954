"""Specs and feeds the calendar tests share."""

from __future__ import annotations

OFFICE = {
    "timezone": "Europe/Berlin",
    "weekly": {d: ["09:00-12:00", "13:00-17:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "DE", "subdivision": "BY"},
    "dates": [{"date": "2026-12-24", "hours": [], "label": "Christmas Eve"}],
}
NIGHTS = {"timezone": "America/New_York", "weekly": {"fri": ["22:00-06:00"], "sat": ["22:00-06:00"]}}


def feed(*events: str) -> str:
    """An iCal feed of these VEVENT bodies."""
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


INVENTORY = (
    "UID:inventory@example.com\r\nSUMMARY:Inventory day\r\nDTSTART;VALUE=DATE:20261204\r\nDTEND;VALUE=DATE:20261205"
)
PARTY = (
    "UID:party@example.com\r\nSUMMARY:Team party\r\nDTSTART;TZID=Europe/Berlin:20261211T150000\r\n"
    "DTEND;TZID=Europe/Berlin:20261211T180000"
)
OUTING = "UID:outing@example.com\r\nSUMMARY:Outing\r\nDTSTART;VALUE=DATE:20261218"
