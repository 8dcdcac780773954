"""The playbook checklist on a laptop and a phone: it loads into the conversation panel, a step is completed with a
note typed into it, an optional step is skipped with a reason, and the template editor and supervisor board show
it. Every page fits the screen, logs no console error and has no serious axe-core violation; screenshots under
test-artifacts/pages/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from rapport.kernel.permissions import SYSTEM
from rapport.playbooks import service
from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, watch
from tests.browser.test_workspace import ADA, email_conversation
from tests.playbooks.conftest import damaged_delivery, make_template

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_checklist_on_the_conversation_page(new_page, db, world, viewport):
    cid = email_conversation(db, world, text="The vase arrived in pieces", subject="Broken vase")
    template_id = make_template(db, damaged_delivery(world.team.id))
    with db.write() as s:
        run_id = service.start(s, cid, template_id, by=SYSTEM, reason="tag damaged").id
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    watch(page, errors)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    sign_in(page, *ADA)

    page.goto(f"/conversations/{cid}")
    checklist = page.locator("[data-playbooks]")
    expect(checklist).to_contain_text("Damaged delivery")
    expect(checklist).to_contain_text("Solving waits for")
    check(page, "playbook-checklist", viewport, found, summary)
    # axe-core leaves empty style attributes on form fields; htmx's settle would copy them onto the swapped-in
    # checklist (a CSP report that is the test's, not the page's), so the page is loaded afresh before working it.
    page.reload()
    expect(checklist).to_contain_text("Solving waits for")

    first = checklist.locator(f'[data-run="{run_id}"] [data-step="0"]')
    first.locator("textarea").fill("Asked for photos of the box and the vase.")
    first.get_by_role("button", name="Mark done").click()
    expect(checklist.locator(".notice")).to_contain_text("Completed step 1")
    expect(checklist.locator(f'[data-run="{run_id}"] [data-step="0"]')).to_have_class("step done")
    checklist.locator('[data-step="1"]').get_by_role("button", name="Mark done").click()
    expect(checklist.locator(".notice")).to_contain_text("Completed step 2")
    third = checklist.locator('[data-step="2"]')
    third.locator("summary").click()
    third.get_by_label("Why skip it?").fill("The courier paid out already.")
    third.get_by_role("button", name="Skip step").click()
    expect(checklist.locator(".notice")).to_contain_text("Skipped step 3")
    expect(checklist.locator(f'[data-run="{run_id}"] h3')).to_contain_text("completed")
    check(page, "playbook-checklist-done", viewport, found, summary)

    page.goto(f"/admin/playbooks/{template_id}")
    expect(page.locator("h1")).to_have_text("Damaged delivery")
    check(page, "playbook-editor", viewport, found, summary)
    page.goto("/supervisor")
    expect(page.locator("#playbooks-overdue-title")).to_be_visible()
    check(page, "supervisor-playbooks", viewport, found, summary)

    found.setdefault("console", []).extend(errors)
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)
