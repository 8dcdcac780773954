"""The workspace frame's own page: the admin index, which lists every domain's admin sections."""

from rapport.kernel.registry import Domain, NavEntry

DOMAIN = Domain(
    "web",
    page_routers=("rapport.web.views:router",),
    navigation=(NavEntry("admin", "Admin", "/admin", order=800, permission="admin"),),
)
