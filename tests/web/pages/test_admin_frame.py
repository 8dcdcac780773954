"""The admin frame: admins see `/admin` and the Admin menu entry; agents see neither."""

from __future__ import annotations

from rapport.kernel import registry
from rapport.kernel.permissions import Actor
from rapport.kernel.registry import Domain
from rapport.models.enums import Role
from rapport.web.pages import nav_for


def test_agent_gets_no_admin_menu_and_is_refused(client, signed_in):
    page = client.get("/inbox/all")
    assert 'href="/admin"' not in page.text
    r = client.get("/admin")
    assert r.status_code == 403 and "admin" in r.text


def test_admin_sees_the_admin_pages(client, world):
    r = client.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery"})
    assert r.status_code == 303
    page = client.get("/inbox/all")
    assert 'href="/admin"' in page.text
    r = client.get("/admin")
    assert r.status_code == 200 and "<h1>Admin</h1>" in r.text


def test_admin_section_entries_stay_out_of_the_top_menu():
    registry.domains().append(
        Domain("test", admin_sections=(registry.admin("test.admin.section", "Test section", "/admin/test-section"),))
    )
    try:
        admin = Actor(kind="agent", id=1, role=Role.admin)
        assert "test.admin.section" in [e.key for e in nav_for(admin, "admin")]
        assert "test.admin.section" not in [e.key for e in nav_for(admin)]
        assert nav_for(Actor(kind="agent", id=2, role=Role.agent), "admin") == []
    finally:
        registry.domains().pop()
