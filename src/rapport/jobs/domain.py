"""The jobs domain: background work that failed every attempt, listed for admins to retry or discard."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "jobs",
    api_routers=("rapport.jobs.api:router",),
    page_routers=("rapport.jobs.views:router",),
    admin_sections=(
        admin(
            "admin.jobs",
            "Failed jobs",
            "/admin/jobs",
            order=190,
            description="Background work that failed every attempt (deliveries, mail, periodic jobs): retry or "
            "discard it.",
        ),
    ),
)
