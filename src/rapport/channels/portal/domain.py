"""The portal adapter: its routes and its ChannelAdapter (registered when the package is imported)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("channels.portal", routers=("rapport.channels.portal:router",), channels=("rapport.channels.portal",))
