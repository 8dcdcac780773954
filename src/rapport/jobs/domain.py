"""The jobs domain: background work that failed every attempt (dead jobs, and events a consumer set aside),
listed for admins to retry or discard. The queue and the event log themselves are foundations (worker/, events/)."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "jobs",
    api_routers=("rapport.jobs.api:router", "rapport.jobs.event_api:router"),
    page_routers=("rapport.jobs.views:router", "rapport.jobs.event_views:router"),
    admin_sections=(
        admin(
            "admin.jobs",
            "Failed jobs",
            "/admin/jobs",
            order=190,
            description="Background work that failed every attempt (deliveries, mail, periodic jobs): retry or "
            "discard it.",
        ),
        admin(
            "admin.events",
            "Event consumers",
            "/admin/events",
            order=195,
            description="Events a consumer could not handle after its retries, set aside so the others went on; "
            "retry them.",
        ),
    ),
)
