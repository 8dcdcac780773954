"""The search domain: full-text search over messages, subjects and customers (its page is the workspace's)."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("search", api_routers=("rapport.search.api:router",))
