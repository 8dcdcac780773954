"""Every admin page renders for an admin and is refused to agents and supervisors, with no menu entry for them."""

from __future__ import annotations

import pytest

from rapport.agents.admin import SCOPE_WORDS
from rapport.channels.email.pipeline import RawMail, ingest
from rapport.kernel.permissions import ALL_SCOPES


@pytest.fixture
def pages(db, world) -> list[str]:
    """Every admin page's URL, with an object of each kind to open."""
    (kept,) = ingest(db, world.email_inbox.id, [RawMail(b"Subject: who?\r\n\r\nhello\r\n", source="test")])
    from sqlalchemy import select

    from rapport.models import ApiToken, EmailReceipt

    with db.read() as s:
        token_id = s.scalar(select(ApiToken.id).limit(1))
        receipt_id = s.scalar(select(EmailReceipt.id).where(EmailReceipt.outcome == "quarantined"))
    return [
        "/admin",
        "/admin/inboxes",
        "/admin/inboxes/new",
        f"/admin/inboxes/{world.email_inbox.id}",
        "/admin/agents",
        "/admin/agents/new",
        f"/admin/agents/{world.agent.id}",
        f"/admin/agents/{world.agent.id}/deactivate",
        "/admin/teams",
        f"/admin/teams/{world.team.id}",
        "/admin/fields",
        "/admin/tokens",
        f"/admin/tokens/{token_id}/revoke",
        "/admin/quarantine",
        f"/admin/quarantine/{receipt_id}",
        f"/admin/quarantine/{receipt_id}/raw",
    ]


def test_every_admin_page_renders_for_an_admin(client, admin_csrf, pages):
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:500])
        assert "unsafe-inline" not in r.headers["content-security-policy"]
    menu = client.get("/admin").text
    for label in ("Inboxes", "Agents", "Teams", "Custom fields", "API tokens", "Quarantined mail"):
        assert f">{label}</a>" in menu


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_agents_and_supervisors_get_403_on_every_admin_page_and_no_menu(client, request, pages, who):
    request.getfixturevalue("signed_in" if who == "agent" else "supervisor_csrf")
    for url in pages:
        r = client.get(url)
        assert r.status_code == 403, (url, r.status_code)
        assert "needs the role &#39;admin&#39;" in r.text or "needs the role 'admin'" in r.text
    inbox = client.get("/inbox/all").text
    assert 'href="/admin' not in inbox


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    r = client.get("/admin/inboxes")
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/admin/inboxes"


def test_every_token_scope_is_explained():
    assert set(SCOPE_WORDS) == set(ALL_SCOPES)


def test_admin_pages_are_boosted_but_downloads_are_not(client, admin_csrf, pages):
    page = client.get(pages[-2])
    assert 'id="admin-page" hx-boost="true"' in page.text
    assert 'download hx-boost="false"' in page.text
