"""Recognition: kudos for the agents a happy customer credits, follow-ups for unhappy (and delighted) customers."""

from rapport.kernel.registry import Domain, NavEntry

DOMAIN = Domain(
    "recognition",
    workers=("rapport.recognition.react",),
    api_routers=("rapport.recognition.api:router",),
    page_routers=("rapport.recognition.views:router",),
    navigation=(
        # One entry: supervisors get the wall there, agents their own kudos and their teams' feeds.
        NavEntry("kudos", "Kudos", "/kudos", order=62, permission="conversations.read"),
        NavEntry("followups", "Follow-ups", "/followups", order=63, permission="conversations.read"),
    ),
)
