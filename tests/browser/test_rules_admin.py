"""The rules' admin pages in a browser, on a laptop and a phone: the list, the editor (a new rule built from rows,
no JSON), a rule's page with its versions and the replay result fit the screen, log no console error and have no
serious axe violation; an admin builds a rule in the editor and sees it listed."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from rapport.kernel.permissions import SYSTEM
from rapport.rules import service
from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, visit
from tests.browser.test_workspace import ADA
from tests.rules.conftest import write_in

pytestmark = pytest.mark.browser


def seed(db, world) -> int:
    """Two rules, one with two versions, and a few messages for replay to read."""
    with db.write() as s:
        rule = service.create(
            s, SYSTEM, name="Refund requests are urgent", kind="event",
            definition_={"events": ["message.received"],
                         "conditions": {"all": [{"field": "message.text", "op": "contains", "value": "refund"}]},
                         "actions": [{"type": "set_priority", "params": {"priority": "urgent"}},
                                     {"type": "tags", "params": {"add": ["refund"]}}]},
        )  # fmt: skip
        pattern = {"field": "message.text", "op": "matches", "value": r"\brefund(s|ed)?\b"}
        service.revise(
            s, SYSTEM, rule.id,
            definition_={"events": ["message.received"], "conditions": {"all": [pattern]},
                         "actions": [{"type": "set_priority", "params": {"priority": "urgent"}}]},
        )  # fmt: skip
        service.create(
            s, SYSTEM, name="Third contact in a week", kind="count",
            definition_={"events": ["conversation.created"], "count": {"per": "customer", "window_days": 7, "nth": 3},
                         "actions": [{"type": "notify", "params": {"team_ids": [world.team.id], "text": "Follow up"}}]},
        )  # fmt: skip
    for who in ("ana", "bo"):
        write_in(db, world, "I would like a refund for order 1234, it arrived broken.", address=f"{who}@customer.test")
    return rule.id


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_rule_pages_meet_the_bar(new_page, db, world, viewport):
    rule_id = seed(db, world)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)
    for name, path in [
        ("admin-rules-list", "/admin/rules"),
        ("admin-rules-new", "/admin/rules/new"),
        ("admin-rules-edit", f"/admin/rules/{rule_id}"),
    ]:
        visit(page, name, path, viewport, found, summary)

    # Replay: the result shows above the editor, as a GET without the CSRF token, and nothing is saved.
    errors: list[str] = []
    page.goto(f"/admin/rules/{rule_id}")
    page.on("console", handler := lambda m: errors.append(m.text) if m.type == "error" else None)
    page.get_by_role("button", name="Replay").click()
    expect(page.locator("#replay-result")).to_contain_text("fired 2 times on 2")
    expect(page.locator("#replay-result")).to_contain_text("Nothing was saved")
    assert f"/admin/rules/{rule_id}/replay?" in page.url and "csrf_token" not in page.url, page.url
    page.wait_for_timeout(300)
    page.remove_listener("console", handler)
    check(page, "admin-rules-replay", viewport, found, summary)
    found.setdefault("admin-rules-replay", []).extend(f"console: {e}" for e in errors)

    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)


def test_an_admin_builds_a_rule_from_rows_and_moves_it_up(new_page, db, world):
    seed(db, world)
    page = new_page(viewport=VIEWPORTS["laptop"])
    sign_in(page, *ADA)
    page.goto("/admin/rules/new")
    page.get_by_label("Name").fill("VIP wrote")
    page.get_by_label("When (one or more events)").select_option(["message.received"])
    page.get_by_label("Test 1: field").select_option("vip")
    page.locator("#test-0-op").select_option("eq")
    page.locator("#test-0-value").fill("true")
    page.get_by_label("Action 1").select_option("set_priority")
    page.locator("#action-0-value").fill("high")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("h1")).to_have_text("VIP wrote")
    page.goto("/admin/rules")
    expect(page.locator(".rule h2").last).to_contain_text("VIP wrote")
    page.get_by_role("button", name="Move VIP wrote up").click()
    expect(page.locator(".rule h2").nth(1)).to_contain_text("VIP wrote")
