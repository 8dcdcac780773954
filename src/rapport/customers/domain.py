"""The customers domain: people who write in, their identities, merging."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("customers", api_routers=("rapport.customers.api:router",))
