"""The categories domain: the admin-kept list of kinds of matter conversations are filed under."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "categories",
    api_routers=("rapport.categories.api:router",),
    page_routers=("rapport.categories.views:router",),
    admin_sections=(
        admin(
            "admin.categories",
            "Categories",
            "/admin/categories",
            order=45,
            description="The kinds of matter agents file conversations under, each with what it is for.",
        ),
    ),
)
