"""Routing: who gets which conversation. Modes per team and inbox (balanced by spare capacity, round robin, manual
pull), agents' capacity and skills, stickiness, spillover, "next best", and the queue position the widget shows."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "routing",
    workers=("rapport.routing.listeners",),
    api_routers=("rapport.routing.api:router",),
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
