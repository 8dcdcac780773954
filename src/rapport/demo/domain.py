"""The demo: the mail catcher's page, listed while the demo runs."""

from rapport.config import get_settings
from rapport.kernel.registry import Domain, NavEntry

DOMAIN = Domain(
    "demo",
    page_routers=("rapport.demo.views:router",),
    navigation=(
        NavEntry(
            "demo.mail",
            "Mail catcher",
            "/demo/mail",
            order=900,
            permission="admin",
            visible=lambda: get_settings().demo_mail_catcher,
        ),
    ),
)
