"""The webhooks domain: outgoing webhooks, their consumer and delivery job, their admin pages."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "webhooks",
    api_routers=("rapport.webhooks.api:router",),
    page_routers=("rapport.webhooks.views:router",),
    admin_sections=(
        admin(
            "admin.webhooks",
            "Webhooks",
            "/admin/webhooks",
            description="Send events to other systems over HTTPS, signed, with retries and a delivery log.",
        ),
    ),
    workers=("rapport.webhooks.tasks",),
)
