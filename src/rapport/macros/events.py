"""The events of macros: kept by their owners, supervisors and admins (created, updated, deleted), and applied to a
conversation (shown on its timeline)."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Payload, declare
from rapport.events.wording import Context, admin


class Applied(Payload):
    """A macro was applied: its reply, note and changes follow as their own events."""

    macro_id: int
    macro: str  # its name when applied
    usage_id: int
    reply_message_id: int | None = None
    note_message_id: int | None = None
    changed: list[str] = []  # the fields it changed


def _applied(who: str, p: dict, _: Context) -> str:
    return f"{who} applied the macro '{p.get('macro', '')}'"


CREATED = declare("macro.created", AdminChange, admin("created"))
UPDATED = declare("macro.updated", AdminChange, admin("updated"))
DELETED = declare("macro.deleted", AdminChange, admin("deleted"))
APPLIED = declare("macro.applied", Applied, _applied)
