"""The notifications domain: the event consumer that makes them and their page."""

from rapport.kernel.registry import Domain

DOMAIN = Domain(
    "notifications",
    page_routers=("rapport.notifications.views:router",),
    workers=("rapport.notifications.listeners",),
)
