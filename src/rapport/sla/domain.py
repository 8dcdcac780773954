"""The service-targets domain: policies on business-hours calendars and the clocks they run on conversations."""

from rapport.kernel.registry import Domain

DOMAIN = Domain(
    "sla",
    api_routers=(
        # Where people see targets (read side).
        "rapport.sla.clock_api:router",
    ),
)
