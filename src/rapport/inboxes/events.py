"""The events of inboxes: created and changed by admins."""

from __future__ import annotations

from rapport.events.registry import AdminChange, declare
from rapport.events.wording import admin

CREATED = declare("inbox.created", AdminChange, admin("created"))
UPDATED = declare("inbox.updated", AdminChange, admin("updated"))
