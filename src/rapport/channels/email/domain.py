"""The email adapter: its routes and its ChannelAdapter (registered when the package is imported)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("channels.email", routers=("rapport.channels.email:router",), channels=("rapport.channels.email",))
