"""The supervision domain: the supervisor console."""

from rapport.kernel.registry import Domain, NavEntry

DOMAIN = Domain(
    "supervision",
    api_routers=("rapport.supervision.api:router",),
    page_routers=("rapport.supervision.views:router",),
    navigation=(NavEntry("supervisor", "Supervisor", "/supervisor", order=40, permission="supervisor.console"),),
)
