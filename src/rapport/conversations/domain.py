"""The conversations domain: the API over conversations and messages, inbound intake, delivery and auto-close jobs."""

from rapport.kernel.registry import Domain

DOMAIN = Domain(
    "conversations",
    api_routers=(
        "rapport.conversations.api:router",
        "rapport.conversations.inbound_api:router",
    ),
    workers=("rapport.conversations.tasks",),
    # A customer's message wakes a snoozed conversation (snooze.customer_wakes).
    lifecycle_hooks=("rapport.conversations.snooze",),
)
