"""The sms adapter: its routes and its ChannelAdapter (registered when the package is imported)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("channels.sms", routers=("rapport.channels.sms:router",), channels=("rapport.channels.sms",))
