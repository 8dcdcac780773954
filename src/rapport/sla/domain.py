"""Service targets: policies on business-hours calendars, the clocks they run on conversations, where people see
them, and the achievement report."""

from rapport.kernel.registry import Domain, NavEntry, admin

DOMAIN = Domain(
    "sla",
    # The clocks: the due-time job and re-evaluation (the worker), the lifecycle hook (every process).
    workers=("rapport.sla.due", "rapport.sla.reevaluate"),
    lifecycle_hooks=("rapport.sla.lifecycle",),
    api_routers=(
        "rapport.sla.api:router",  # policies and what-if
        "rapport.sla.clock_api:router",  # a conversation's clocks (read side)
    ),
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
