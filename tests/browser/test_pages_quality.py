"""The quality bar on every main page, on a laptop and a phone: no horizontal scroll, no console error, no serious
or critical axe-core violation; a full-page screenshot of each under test-artifacts/pages/.

axe-core is vendored from the npm registry (package.json) and served from /static/vendor/ like htmx, so it loads
under each page's own Content-Security-Policy. A summary of violations per page is written to
test-artifacts/pages/axe-summary.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import rapport.web
from rapport.conversations import service as conversations
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.conversations.service import Changes
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor, Role
from rapport.models.enums import Priority
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_workspace import ADA, KEY, OPEN_SHADOW

pytestmark = pytest.mark.browser
VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}
OUT = ARTIFACTS / "pages"
SERIOUS = ("serious", "critical")
TOPBAR_MAX = {"laptop": 56, "phone": 100}  # one row on a laptop; at most two compact rows on a phone
AXE = Path(rapport.web.__file__).parent / "static" / "vendor" / "axe.min.js"


def seed(db, world, server) -> dict[str, int]:
    """A few conversations that fill every page: an email thread with a reply, a note and tags, a chat inbox."""
    with db.write() as s:
        inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [server]}
        )
        first = receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.email_inbox.id,
                sender_kind="email",
                sender_address="jo.with.a.rather.long.address@customer.example",
                sender_name="Jo Customer",
                subject="My parcel never arrived and the tracking page says it was delivered yesterday",
                text="Hello,\nMy parcel never arrived. Order 12345. Can you help?",
            ),
        )
        receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.api_inbox.id,
                sender_kind="email",
                sender_address="kim@customer.test",
                sender_name="Kim Lee",
                subject=None,
                text="The app crashes when I open settings",
            ),
        )
        alex = Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")
        cid = first.conversation_id
        conversations.update(
            s, SYSTEM, cid, Changes(priority=Priority.high, assignee_id=world.agent.id, add_tags=["delivery", "vip"])
        )
        conversations.reply(s, alex, cid, text="Sorry to hear that. We are looking into it now.")
        conversations.add_note(s, alex, cid, text="Carrier ticket opened, @bo please follow up tomorrow.")
        customer_id = first.customer_id
    return {"conversation": cid, "customer": customer_id}


def pages(ids: dict[str, int]) -> list[tuple[str, str]]:
    """(name, path) of every main page an admin sees."""
    return [
        ("inbox", "/inbox/all"),
        ("conversation", f"/conversations/{ids['conversation']}"),
        ("customers", "/customers"),
        ("customer-profile", f"/customers/{ids['customer']}"),
        ("search", "/search?q=parcel"),
        ("supervisor-board", "/supervisor"),
        ("notifications", "/notifications"),
        ("profile", "/profile"),
        ("admin", "/admin"),
        ("admin-agents", "/admin/agents"),
        ("admin-teams", "/admin/teams"),
        ("admin-inboxes", "/admin/inboxes"),
        ("admin-fields", "/admin/fields"),
        ("admin-webhooks", "/admin/webhooks"),
        ("admin-tokens", "/admin/tokens"),
        ("admin-quarantine", "/admin/quarantine"),
    ]


def check(page, name: str, viewport: str, found: dict, summary: dict) -> None:
    """Measure one loaded page: horizontal scroll, axe-core, a screenshot; record what is wrong in `found`."""
    page.wait_for_timeout(300)  # let htmx's load triggers (badge, counts) swap in, so their errors are caught
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        found.setdefault(name, []).append(f"scrolls horizontally: {width[0]} px in {width[1]} px")
    bar = page.evaluate("document.querySelector('.topbar')?.getBoundingClientRect().height || 0")
    if bar > TOPBAR_MAX[viewport]:
        found.setdefault(name, []).append(f"the top bar is {bar:.0f} px high (at most {TOPBAR_MAX[viewport]})")
    page.evaluate(AXE.read_text())  # through the debugger protocol, so a page's strict CSP does not refuse it
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,"
        " targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    summary[f"{viewport}/{name}"] = result
    for v in result:
        if v["impact"] in SERIOUS:
            found.setdefault(name, []).append(f"axe {v['impact']} {v['id']} on {v['targets']}")
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{viewport}-{name}.png"), full_page=True)


def visit(page, name: str, path: str, viewport: str, found: dict, summary: dict) -> None:
    """Open `path` and check it, with the console errors it logs while it loads and settles."""
    errors: list[str] = []
    page.on("console", handler := lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path)
    expect(page.locator("main, body").first).to_be_visible()
    check(page, name, viewport, found, summary)
    page.remove_listener("console", handler)
    found.setdefault(name, []).extend(f"console: {e}" for e in errors)


def watch(page, errors: list[str]) -> None:
    """Collect console errors and uncaught exceptions of `page`."""
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_main_page_meets_the_bar(new_page, db, world, server, viewport):
    """Each main page fits the screen, logs no console error and has no serious or critical axe violation."""
    ids = seed(db, world, server)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}

    anonymous = new_page(viewport=VIEWPORTS[viewport])
    for name, path in [("sign-in", "/sign-in"), ("forgot-password", "/forgot-password"), ("portal-new", "/portal/new"),
                       ("portal-sign-in", "/portal/sign-in")]:  # fmt: skip
        visit(anonymous, name, path, viewport, found, summary)
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)
    for name, path in pages(ids):
        visit(page, name, path, viewport, found, summary)

    # The dark theme (prefers-color-scheme) meets the same bar: contrast is among axe's serious checks.
    page.emulate_media(color_scheme="dark")
    for name, path in [("inbox-dark", "/inbox/all"), ("conversation-dark", f"/conversations/{ids['conversation']}")]:
        visit(page, name, path, viewport, found, summary)
    page.emulate_media(color_scheme="light")

    # A reply swaps the timeline in with htmx: that swap logs no error either (no inline style the CSP refuses).
    errors = []
    page.on("console", handler := lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/conversations/{ids['conversation']}")
    page.locator("#reply-text").fill("A reply that swaps the timeline.")
    page.locator("#reply-text").press("Control+Enter")
    expect(page.locator("#timeline")).to_contain_text("A reply that swaps the timeline.")
    page.wait_for_timeout(300)
    page.remove_listener("console", handler)
    found.setdefault("conversation-swap", []).extend(f"console: {e}" for e in errors)

    widget = new_page(viewport=VIEWPORTS[viewport])
    widget.add_init_script(OPEN_SHADOW)
    errors = []
    watch(widget, errors)
    widget.goto(f"/chat/demo?key={KEY}")
    widget.get_by_role("button", name=re.compile("Chat with us")).click()
    check(widget, "chat-widget", viewport, found, summary)
    found.setdefault("chat-widget", []).extend(f"console: {e}" for e in errors)

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"axe-summary-{viewport}.json").write_text(json.dumps(summary, indent=1))
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)
