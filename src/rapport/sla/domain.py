"""The service targets domain: policies (API, admin pages, what-if)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain(
    "sla",
    api_routers=("rapport.sla.api:router",),
)
