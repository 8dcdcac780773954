"""The service targets domain: policies (API, admin pages, what-if) and the achievement report."""

from rapport.kernel.registry import Domain, NavEntry, admin

DOMAIN = Domain(
    "sla",
    api_routers=("rapport.sla.api:router",),
    page_routers=("rapport.sla.admin_views:router", "rapport.sla.report_views:router"),
    navigation=(NavEntry("reports.sla", "Targets", "/reports/sla", order=45, permission="supervisor.console"),),
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
