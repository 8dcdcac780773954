"""The macros domain: canned replies with placeholders and field changes, their picker and their measures."""

from rapport.kernel.registry import Domain, NavEntry, admin

DOMAIN = Domain(
    "macros",
    api_routers=("rapport.macros.api:router",),
    page_routers=("rapport.macros.views:router",),
    navigation=(NavEntry("macros", "Macros", "/macros", order=60, permission="conversations.read"),),
    admin_sections=(
        admin(
            "admin.macros",
            "Macros",
            "/macros",
            order=48,
            description="Canned replies with field changes: personal, team and shared, with how often each is "
            "used and how often a conversation reopens after it.",
        ),
    ),
)
