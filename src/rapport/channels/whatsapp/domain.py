"""The whatsapp adapter: its routes and its ChannelAdapter (registered when the package is imported)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain(
    "channels.whatsapp", routers=("rapport.channels.whatsapp:router",), channels=("rapport.channels.whatsapp",)
)
