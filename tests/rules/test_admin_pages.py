"""The rules' admin pages: the ordered list (switch, move), the editor (rows, no JSON), replay, versions, errors."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import Rule, RuleVersion
from tests.conftest import World, inbound, sign_in_as


def _form(csrf: str, **extra) -> dict:
    data = {
        "csrf_token": csrf, "name": "Refunds", "kind": "event", "events": ["message.received"], "match": "all",
        "test-0-field": "message.text", "test-0-op": "contains", "test-0-value": "refund",
        "test-1-field": "attribute.", "test-1-key": "plan", "test-1-op": "eq", "test-1-value": "gold",
        "action-0-type": "tags", "action-0-value": "+refund, -spam",
        "action-1-type": "set_priority", "action-1-value": "high",
        "action-2-type": "add_note", "action-2-text": "Refund asked by {{customer.name}}",
        "days": "7",
    }  # fmt: skip
    return {**data, **extra}


def _counts(db) -> tuple[int, int]:
    with db.read() as s:
        return s.scalar(select(func.count(Rule.id))), s.scalar(select(func.count(RuleVersion.id)))


def test_only_admins_see_the_pages_and_the_admin_index_lists_them(client, world):
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    assert client.get("/admin/rules").status_code == 403
    assert client.get("/admin/rules/new").status_code == 403
    client.cookies.clear()
    sign_in_as(client, "ada@example.com", "correct horse battery")
    page = client.get("/admin/rules")
    assert page.status_code == 200 and "No rules yet" in page.text
    assert 'href="/admin/rules"' in client.get("/admin").text


def test_the_editor_builds_the_rule_from_rows_and_the_list_shows_it(client, world, db, admin_csrf):
    client.follow_redirects = False
    editor = client.get("/admin/rules/new")
    assert editor.status_code == 200 and 'name="test-0-field"' in editor.text and "message.received" in editor.text
    r = client.post("/admin/rules/new", data=_form(admin_csrf))
    assert r.status_code == 303, r.text
    rule = client.get("/api/v1/rules", headers=World.auth(world.admin_token)).json()[0]
    assert r.headers["location"] == f"/admin/rules/{rule['id']}"
    definition = rule["current"]["definition"]
    assert definition["conditions"] == {"all": [
        {"field": "message.text", "op": "contains", "value": "refund"},
        {"field": "attribute.plan", "op": "eq", "value": "gold"},
    ]}  # fmt: skip
    assert definition["actions"] == [
        {"type": "tags", "params": {"add": ["refund"], "remove": ["spam"]}},
        {"type": "set_priority", "params": {"priority": "high"}},
        {"type": "add_note", "params": {"text": "Refund asked by {{customer.name}}"}},
    ]
    listed = client.get("/admin/rules")
    assert "Refunds" in listed.text and "add the tag refund" in listed.text and "version 1" in listed.text


def test_a_bad_row_is_said_beside_it_and_nothing_is_saved(client, world, db, admin_csrf):
    r = client.post("/admin/rules/new", data=_form(admin_csrf, **{"test-0-op": "matches", "test-0-value": "(a+)+$"}))
    assert r.status_code == 422 and "backtrack catastrophically" in r.text and 'id="tests-error"' in r.text
    r = client.post("/admin/rules/new", data=_form(admin_csrf, **{"action-1-value": "asap"}))
    assert r.status_code == 422 and 'id="action-1-error"' in r.text
    assert 'value="Refunds"' in r.text  # the form keeps what was typed
    assert _counts(db) == (0, 0)


def test_replay_shows_what_the_rule_would_have_done_and_saves_nothing(client, world, db, admin_csrf):
    inbound(client, world.agent_token, world.api_inbox.id, text="A refund please", address="a@customer.test")
    query = {k: v for k, v in _form(admin_csrf).items() if k != "csrf_token" and not k.startswith("test-1")}
    r = client.get("/admin/rules/new/replay", params=query)
    assert r.status_code == 200, r.text
    assert "Replay: the last 7 days" in r.text and "fired 1 time on 1" in r.text and "Nothing was saved" in r.text
    assert _counts(db) == (0, 0)


def test_a_rule_page_saves_new_versions_renames_switches_and_moves(client, world, db, admin_csrf):
    client.follow_redirects = False
    client.post("/admin/rules/new", data=_form(admin_csrf))
    client.post("/admin/rules/new", data=_form(admin_csrf, name="Second"))
    first, second = (r["id"] for r in client.get("/api/v1/rules", headers=World.auth(world.admin_token)).json())
    page = client.get(f"/admin/rules/{first}")
    assert page.status_code == 200 and 'value="refund"' in page.text and "Version 1" in page.text
    r = client.post(f"/admin/rules/{first}/versions", data=_form(admin_csrf, **{"action-1-value": "urgent"}))
    assert r.status_code == 303
    page = client.get(f"/admin/rules/{first}")
    assert "Version 2" in page.text and "set the priority to urgent" in page.text
    assert "Changes from version 1" in page.text
    assert (
        "-        &#34;priority&#34;: &#34;high&#34;" in page.text
        and "+        &#34;priority&#34;: &#34;urgent&#34;" in page.text
    )
    renamed = client.post(f"/admin/rules/{first}", data={"csrf_token": admin_csrf, "name": "Refund requests"})
    assert renamed.status_code == 303
    assert client.post(f"/admin/rules/{first}/enabled", data={"csrf_token": admin_csrf}).status_code == 303
    assert (
        client.post(f"/admin/rules/{second}/move", data={"csrf_token": admin_csrf, "direction": "up"}).status_code
        == 303
    )
    rules = client.get("/api/v1/rules", headers=World.auth(world.admin_token)).json()
    assert [(r["name"], r["enabled"]) for r in rules] == [("Second", True), ("Refund requests", False)]
    assert rules[1]["current"]["number"] == 2


def test_the_forms_need_their_csrf_token(client, world, db, admin_csrf):
    r = client.post("/admin/rules/new", data={k: v for k, v in _form(admin_csrf).items() if k != "csrf_token"})
    assert r.status_code == 403
    assert _counts(db) == (0, 0)
