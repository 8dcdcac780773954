"""Rules: on events, times and counts, do actions; their admin pages, API and the consumer and job that run them."""

from rapport.kernel.registry import Domain

DOMAIN = Domain(
    "rules",
    workers=("rapport.rules.listeners", "rapport.rules.timed"),
    api_routers=("rapport.rules.api:router",),
)
