"""Rules: on events, times and counts, do actions; their admin pages, API and the consumer and job that run them."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "rules",
    workers=("rapport.rules.listeners", "rapport.rules.timed"),
    api_routers=("rapport.rules.api:router",),
    page_routers=("rapport.rules.admin_views:router",),
    admin_sections=(
        admin(
            "admin.rules",
            "Rules",
            "/admin/rules",
            order=75,
            description="When an event, a time or a count happens and conditions hold, do actions: in order, "
            "versioned, replayed over past days before saving.",
        ),
    ),
)
