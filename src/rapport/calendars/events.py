"""The events of calendars: created, changed (a new version, a new name) and deleted by admins."""

from __future__ import annotations

from rapport.events.registry import AdminChange, declare
from rapport.events.wording import admin

CREATED = declare("calendar.created", AdminChange, admin("created"))
UPDATED = declare("calendar.updated", AdminChange, admin("updated"))
DELETED = declare("calendar.deleted", AdminChange, admin("deleted"))
