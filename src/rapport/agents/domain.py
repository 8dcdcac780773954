"""The agents domain: people who sign in, teams, tokens; the profile and the admin pages for them."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "agents",
    api_routers=("rapport.agents.api:router",),
    page_routers=("rapport.agents.views:router",),  # includes the admin and token pages
    # No menu entry: the avatar and name at the top bar's right are the way to the profile (and availability).
    admin_sections=(
        admin(
            "admin.agents",
            "Agents",
            "/admin/agents",
            order=20,
            description="Who signs in: add agents, change their role, send sign-in links, deactivate.",
        ),
        admin("admin.teams", "Teams", "/admin/teams", order=30, description="Teams and their members."),
        admin(
            "admin.tokens",
            "API tokens",
            "/admin/tokens",
            order=50,
            description="Tokens programs use to call the API: who they act as, their scopes, when last used.",
        ),
    ),
    workers=("rapport.agents.tasks",),
)
