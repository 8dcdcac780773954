"""The workspace's pages that combine domains: the inbox and conversation page, customers, search."""

from rapport.kernel.registry import Domain, NavEntry

DOMAIN = Domain(
    "workspace",
    page_routers=(
        "rapport.workspace.conversations.views:router",
        "rapport.workspace.customers.views:router",
        "rapport.workspace.search.views:router",
    ),
    navigation=(
        NavEntry("inbox", "Inbox", "/inbox", order=10),
        NavEntry("customers", "Customers", "/customers", order=20, permission="customers.read"),
        # No "Search" entry: the top bar's search box (and "/") is the way in; the palette lists the page.
    ),
)
