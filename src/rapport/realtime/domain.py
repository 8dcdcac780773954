"""The realtime domain: live streams of changes and presence."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("realtime", api_routers=("rapport.realtime.api:router",))
