"""Routing: who gets which conversation. Modes per team and inbox (balanced by spare capacity, round robin, manual
pull), agents' capacity and skills, stickiness, spillover, "next best", and the queue position the widget shows."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "routing",
    workers=("rapport.routing.listeners",),
    api_routers=("rapport.routing.api:router",),
    page_routers=("rapport.routing.admin_views:router", "rapport.routing.views:router"),
    admin_sections=(
        admin(
            "admin.routing",
            "Routing",
            "/admin/routing",
            order=72,
            description="Who gets which conversation: modes per team and inbox, agents' capacity and skills.",
        ),
    ),
)
