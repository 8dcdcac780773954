"""The inboxes domain: inboxes and custom field definitions, with their admin pages."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "inboxes",
    api_routers=("rapport.inboxes.api:router",),
    page_routers=("rapport.inboxes.views:router",),  # includes the custom field pages
    admin_sections=(
        admin(
            "admin.inboxes",
            "Inboxes",
            "/admin/inboxes",
            order=10,
            description="Mailboxes, chat widgets, phone and WhatsApp numbers, and how each is connected.",
        ),
        admin(
            "admin.fields",
            "Custom fields",
            "/admin/fields",
            order=40,
            description="Fields agents fill in on conversations: their labels, types and choices.",
        ),
    ),
)
