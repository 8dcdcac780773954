"""The channels' shared pages: the quarantine of inbound mail (each adapter declares itself in its own domain.py)."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "channels",
    page_routers=("rapport.channels.views:router",),
    admin_sections=(
        admin(
            "admin.quarantine",
            "Quarantined mail",
            "/admin/quarantine",
            order=60,
            description=(
                "Inbound mail kept out of the conversations (loops, bounces, floods, unreadable mail), with why."
            ),
        ),
    ),
)
