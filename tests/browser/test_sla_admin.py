"""The service policies' admin pages and the targets report in a browser, on a laptop and a phone: the list, a new
policy, the edit form, its what-if result and the report fit the screen, log no console error and have no serious
axe violation; screenshots under test-artifacts/pages/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.kernel.permissions import SYSTEM, Actor, Role
from rapport.sla import policies
from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, visit
from tests.browser.test_workspace import ADA
from tests.sla.conftest import add_calendar
from tests.sla.test_report import _clock

pytestmark = pytest.mark.browser


def seed(db, world) -> int:
    """Two policies on an office calendar, and a few conversations for what-if to replay."""
    office = add_calendar(db, "Office hours (Monday to Friday)")
    admin = Actor(kind="agent", id=world.admin.id, role=Role.admin, name="Ada Admin")
    with db.write() as s:
        urgent = policies.create(
            s, admin, name="Urgent and VIP customers", description="Anything urgent, or from a VIP customer.",
            condition={"any": [{"field": "priority", "op": "eq", "value": "urgent"},
                               {"field": "vip", "op": "eq", "value": True}]},
            targets=[{"kind": "first_reply", "seconds": 3600, "calendar_id": office},
                     {"kind": "next_reply", "seconds": 7200, "calendar_id": office},
                     {"kind": "resolution", "seconds": 86400, "business": False}],
        )  # fmt: skip
        policies.create(
            s, admin, name="Everyone else", targets=[{"kind": "first_reply", "seconds": 4 * 3600, "business": False}]
        )
        version = policies.versions(s, urgent.id)[0].id
        for n, who in enumerate(("ana", "bo", "cy")):
            got = receive_inbound(
                s,
                SYSTEM,
                Inbound(
                    inbox_id=world.email_inbox.id, sender_kind="email", sender_address=f"{who}@customer.test",
                    subject=f"Order {n} has not arrived and the tracking page says nothing at all", text="Help.",
                ),
            )  # fmt: skip
            _clock(s, got.conversation_id, version, "first_reply", ("met", "breached", "met")[n], 1800 * (n + 1))
        return urgent.id


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_policy_pages_meet_the_bar(new_page, db, world, viewport):
    policy_id = seed(db, world)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)
    for name, path in [
        ("admin-sla-list", "/admin/sla"),
        ("admin-sla-new", "/admin/sla/new"),
        ("admin-sla-edit", f"/admin/sla/{policy_id}"),
        ("report-sla", "/reports/sla"),
        ("report-sla-breaches", f"/reports/sla/breaches?value={policy_id}&target=first_reply&business=0"),
    ]:
        visit(page, name, path, viewport, found, summary)

    # What if: the replay's result shows above the form, and nothing is saved.
    errors: list[str] = []
    page.goto(f"/admin/sla/{policy_id}")  # afresh: the page axe ran on is not the one to watch
    page.on("console", handler := lambda m: errors.append(m.text) if m.type == "error" else None)
    page.get_by_role("button", name="What if").last.click()
    expect(page.locator("#whatif-result")).to_contain_text("the last 30 days")
    expect(page.locator("#whatif-result")).to_contain_text("Nothing was saved")
    # A GET (the replay holds no writer), whose URL carries the form's fields but never its CSRF token.
    assert f"/admin/sla/{policy_id}/what-if?" in page.url and "csrf_token" not in page.url, page.url
    page.wait_for_timeout(300)
    page.remove_listener("console", handler)  # before axe runs: its own probes are not the page's errors
    check(page, "admin-sla-whatif", viewport, found, summary)
    found.setdefault("admin-sla-whatif", []).extend(f"console: {e}" for e in errors)

    # Moving a policy up reorders the list in place.
    page.goto("/admin/sla")
    page.get_by_role("button", name="Move Everyone else up").click()
    expect(page.locator(".sla-policy h2").first).to_contain_text("Everyone else")

    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)
