"""Recognition: kudos for the agents a happy customer credits, follow-ups for unhappy (and delighted) customers."""

from rapport.kernel.registry import Domain, NavEntry

DOMAIN = Domain(
    "recognition",
    workers=("rapport.recognition.react",),
    api_routers=("rapport.recognition.api:router",),
    page_routers=("rapport.recognition.views:router",),
    navigation=(
        NavEntry("kudos", "Kudos", "/kudos/mine", order=62, permission="conversations.read"),
        NavEntry("followups", "Follow-ups", "/followups", order=63, permission="conversations.read"),
        NavEntry("kudos_wall", "Kudos wall", "/kudos", order=42, permission="supervisor.console"),
    ),
)
