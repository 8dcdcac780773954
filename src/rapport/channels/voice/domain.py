"""The voice adapter: its routes and its ChannelAdapter (registered when the package is imported)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("channels.voice", routers=("rapport.channels.voice:router",), channels=("rapport.channels.voice",))
