"""The service targets domain: policies (API, admin pages, what-if)."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "sla",
    api_routers=("rapport.sla.api:router",),
    page_routers=("rapport.sla.admin_views:router",),
    admin_sections=(
        admin(
            "admin.sla",
            "Service policies",
            "/admin/sla",
            order=70,
            description="Response-time targets by kind of conversation, in order, with what-if before saving.",
        ),
    ),
)
