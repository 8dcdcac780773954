"""The chat adapter: its routes and its ChannelAdapter (registered when the package is imported)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("channels.chat", routers=("rapport.channels.chat:router",), channels=("rapport.channels.chat",))
