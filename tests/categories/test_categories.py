"""Categories: an admin-kept list (API and admin page); conversations are filed under them by name or id."""

from __future__ import annotations

import importlib

from sqlalchemy import select

from rapport.models import Conversation
from tests.conftest import World, inbound
from tests.web.pages.conftest import csrf_of


def test_admins_keep_the_list_and_agents_read_it(client, world):
    admin, agent = World.auth(world.admin_token), World.auth(world.agent_token)
    assert client.post("/api/v1/categories", json={"name": "Billing"}, headers=agent).status_code == 403
    r = client.post(
        "/api/v1/categories", json={"name": "Billing", "description": "Invoices and refunds"}, headers=admin
    )
    assert r.status_code == 201 and r.json()["active"] is True
    cid = r.json()["id"]
    assert client.post("/api/v1/categories", json={"name": "billing"}, headers=admin).status_code == 409
    assert client.patch(f"/api/v1/categories/{cid}", json={"active": False}, headers=admin).json()["active"] is False
    listed = client.get("/api/v1/categories", headers=agent).json()
    assert [(c["name"], c["description"]) for c in listed] == [("Billing", "Invoices and refunds")]
    assert client.get("/api/v1/categories?active=true", headers=agent).json() == []


def test_conversations_take_a_listed_category_by_name_and_filter_by_it(client, world, db):
    admin, sup = World.auth(world.admin_token), World.auth(world.sup_token)
    cid = client.post("/api/v1/categories", json={"name": "Delivery"}, headers=admin).json()["id"]
    conv = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    bad = client.patch(f"/api/v1/conversations/{conv}", json={"category": "Weather"}, headers=sup)
    assert bad.status_code == 422 and "'Weather' is not on the list" in bad.json()["detail"]
    r = client.patch(f"/api/v1/conversations/{conv}", json={"category": "delivery"}, headers=sup)
    assert (r.json()["category"], r.json()["category_id"]) == ("Delivery", cid)
    items = client.get("/api/v1/conversations?category=Delivery", headers=sup).json()["items"]
    assert [(c["id"], c["category"]) for c in items] == [(conv, "Delivery")]
    assert client.get("/api/v1/conversations?category=Nothing", headers=sup).json()["items"] == []
    # Retired: the conversation keeps it (and may be saved with it), no other can take it.
    client.patch(f"/api/v1/categories/{cid}", json={"active": False}, headers=admin)
    assert client.patch(f"/api/v1/conversations/{conv}", json={"category": "Delivery"}, headers=sup).status_code == 200
    other = inbound(client, world.agent_token, world.api_inbox.id, "x@customer.test")["conversation_id"]
    retired = client.patch(f"/api/v1/conversations/{other}", json={"category": "Delivery"}, headers=sup)
    assert retired.status_code == 422 and "is retired" in retired.json()["detail"]
    with db.read() as s:
        assert s.scalar(select(Conversation.category_id).where(Conversation.id == conv)) == cid


def test_the_admin_page_adds_and_changes_categories(client, world):
    client.follow_redirects = False
    r = client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    assert client.get("/admin/categories").status_code == 403  # an agent
    client.cookies.clear()
    client.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery"})
    page = client.get("/admin/categories")
    assert page.status_code == 200 and "No categories yet" in page.text
    csrf = csrf_of(page.text)
    assert client.post("/admin/categories", data={"name": "Returns"}).status_code == 403  # no CSRF token
    r = client.post("/admin/categories", data={"csrf_token": csrf, "name": "Returns", "description": "Sent back"})
    assert r.status_code == 303
    r = client.post("/admin/categories", data={"csrf_token": csrf, "name": "returns"})
    assert r.status_code == 422 and "already a category named" in r.text
    listed = client.get("/api/v1/categories", headers=World.auth(world.admin_token)).json()
    cid = listed[0]["id"]
    r = client.post(f"/admin/categories/{cid}", data={"csrf_token": csrf, "name": "Returns", "description": "Back"})
    assert r.status_code == 303
    after = client.get("/api/v1/categories", headers=World.auth(world.admin_token)).json()[0]
    assert (after["description"], after["active"]) == ("Back", False)  # the unticked box retires it


def test_the_migration_turns_flat_saved_view_filters_into_conditions():
    migration = importlib.import_module("rapport.migrations.versions.0022_categories")
    flat = {"status": "open", "channel": "email", "team_id": 3, "tag": "vip", "category": " Billing ", "segment": "smb"}
    assert migration._tree(flat, {"billing": 7}) == {
        "all": [
            {"field": "status", "op": "eq", "value": "open"},
            {"field": "channel", "op": "eq", "value": "email"},
            {"field": "team", "op": "eq", "value": 3},
            {"field": "tag", "op": "has", "value": "vip"},
            {"field": "segment", "op": "eq", "value": "smb"},
            {"field": "category", "op": "eq", "value": 7},
        ]
    }
    unknown = migration._tree({"category": "Gone"}, {})
    assert unknown["all"] == [
        {"field": "status", "op": "in", "value": ["new", "open", "on_hold", "pending"]},
        {"field": "category", "op": "in", "value": []},
    ]


def test_parallel_import_batches_adding_one_new_category_both_succeed(db):
    """Two import batches (transactions at once) both bring a new category: the second files under the first's row."""
    import threading

    from rapport.categories import service as category_service
    from tests.security.test_ratelimit_race import _waiting_on_a_lock

    postgres = db.engine.dialect.name == "postgresql"
    outcome: list = []

    def second() -> None:
        try:
            with db.write() as s:
                outcome.append(category_service.ensure(s, ["Delivery"])["delivery"])
        except Exception as exc:  # the bug this guards against: a unique violation rolling the batch back
            outcome.append(exc)

    with db.write() as s:
        first = category_service.ensure(s, ["Delivery"])["delivery"]
        thread = threading.Thread(target=second)
        thread.start()
        while postgres and thread.is_alive() and not _waiting_on_a_lock(db):
            thread.join(0.02)
    thread.join(30)
    assert outcome == [first]
