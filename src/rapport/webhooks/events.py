"""The events of webhook endpoints: created, changed and deleted by admins."""

from __future__ import annotations

from rapport.events.registry import AdminChange, declare
from rapport.events.wording import admin

CREATED = declare("webhook.created", AdminChange, admin("created"))
UPDATED = declare("webhook.updated", AdminChange, admin("updated"))
DELETED = declare("webhook.deleted", AdminChange, admin("deleted"))
