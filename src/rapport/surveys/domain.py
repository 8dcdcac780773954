"""Surveys: definitions with send rules, requests scheduled when a conversation is solved, the customer's page."""

from rapport.kernel.registry import Domain, NavEntry, admin

DOMAIN = Domain(
    "surveys",
    # The sending and expiry jobs (the worker); scheduling and withdrawal on solve and reopen (every process).
    workers=("rapport.surveys.send",),
    lifecycle_hooks=("rapport.surveys.schedule",),
    api_routers=("rapport.surveys.api:router", "rapport.surveys.report_api:router"),
    routers=("rapport.surveys.page:router",),
    page_routers=("rapport.surveys.admin_views:router", "rapport.surveys.report_views:router"),
    navigation=(NavEntry("reports.surveys", "Surveys", "/reports/surveys", order=46, permission="supervisor.console"),),
    admin_sections=(
        admin(
            "admin.surveys",
            "Surveys",
            "/admin/surveys",
            order=72,
            description="What customers are asked after a conversation is solved, and when it is sent.",
        ),
    ),
)
