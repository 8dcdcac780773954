"""The calendars domain: business-hours calendars (weekly hours, holidays, own dates, iCal feeds) and their versions."""

from rapport.kernel.registry import Domain, admin

DOMAIN = Domain(
    "calendars",
    api_routers=("rapport.calendars.api:router",),
    page_routers=("rapport.calendars.views:router",),
    admin_sections=(
        admin(
            "admin.calendars",
            "Calendars",
            "/admin/calendars",
            order=47,
            description="Business hours that service targets count on: weekly hours, holidays and your own dates.",
        ),
    ),
)
