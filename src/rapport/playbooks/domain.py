"""The playbooks domain: templates of steps with time frames, run on conversations as checklists, guarding solve."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "playbooks",
    # The step due-time job and the consumer that attaches playbooks (the worker); the solve guard (every process).
    workers=("rapport.playbooks.tasks",),
    lifecycle_hooks=("rapport.playbooks.guard",),
    api_routers=("rapport.playbooks.api:router",),
    page_routers=("rapport.playbooks.admin_views:router", "rapport.playbooks.views:router"),
    admin_sections=(
        admin(
            "admin.playbooks",
            "Playbooks",
            "/admin/playbooks",
            order=72,
            description="Procedures as checklists: steps with owners, business-time due times and evidence.",
        ),
    ),
)
