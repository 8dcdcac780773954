"""The service policies' admin pages: list and order, new policy with what-if, a new version, errors beside fields."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.models import SlaPolicy, SlaPolicyVersion
from tests.conftest import World, sign_in_as
from tests.sla.test_whatif import _history


def _form(csrf: str, office: int, **extra) -> dict:
    data = {
        "csrf_token": csrf, "name": "Urgent", "description": "Urgent matters",
        "condition": '{"field": "priority", "op": "eq", "value": "urgent"}',
        "first_reply-on": "on", "first_reply-amount": "1", "first_reply-unit": "hours", "first_reply-time": "calendar",
        "first_reply-calendar": str(office), "first_reply-warn": "25",
        "resolution-on": "on", "resolution-amount": "3", "resolution-unit": "days", "resolution-time": "business",
        "resolution-calendar": str(office), "resolution-pause": ["pending", "on_hold"], "resolution-warn": "",
        "effective_from": "", "days": "1",
    }  # fmt: skip
    return {**data, **extra}


def _counts(db) -> tuple[int, int]:
    with db.read() as s:
        return s.scalar(select(func.count(SlaPolicy.id))), s.scalar(select(func.count(SlaPolicyVersion.id)))


def test_only_admins_see_the_pages_and_the_admin_index_lists_them(client, world):
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    assert client.get("/admin/sla").status_code == 403
    assert client.get("/admin/sla/new").status_code == 403
    client.cookies.clear()
    sign_in_as(client, "ada@example.com", "correct horse battery")
    page = client.get("/admin/sla")
    assert page.status_code == 200 and "No service policies yet" in page.text
    assert 'href="/admin/sla"' in client.get("/admin").text


def test_what_if_shows_the_replay_and_saves_nothing_then_save_adds_the_policy(
    client, world, db, office, frozen_clock, admin_csrf
):
    _history(db, world, frozen_clock)
    client.follow_redirects = False
    query = {k: v for k, v in _form(admin_csrf, office).items() if k != "csrf_token"}
    r = client.get("/admin/sla/new/what-if", params=query)  # a GET: the replay holds no writer, needs no token
    assert r.status_code == 200, r.text
    assert "What if: the last 1 days" in r.text and "3 conversations" in r.text
    assert "Slow one" in r.text and "Nobody answered" in r.text and "Nothing was saved" in r.text
    assert 'value="Urgent"' in r.text  # the form keeps what was typed
    assert _counts(db) == (0, 0)
    r = client.post("/admin/sla/new", data=_form(admin_csrf, office))
    assert r.status_code == 303, r.text
    policy = client.get("/api/v1/sla/policies", headers=World.auth(world.admin_token)).json()[0]
    assert r.headers["location"] == f"/admin/sla/{policy['id']}"
    targets = policy["current"]["targets"]
    assert [(t["kind"], t["seconds"], t["business"]) for t in targets] == [
        ("first_reply", 3600, False),
        ("resolution", 3 * 86400, True),
    ]
    assert targets[1]["warn_share"] is None and targets[1]["pause_on"] == ["pending", "on_hold"]
    listed = client.get("/admin/sla").text
    assert "Urgent" in listed and "First reply in 1 h (calendar time)" in listed
    assert "Resolution in 3 d (business hours: Office hours)" in listed


def test_bad_values_are_shown_beside_their_fields_and_nothing_is_saved(client, world, db, office, admin_csrf):
    cases = [
        ({"condition": "{not json"}, "policy-condition-error", "This is not valid JSON"),
        ({"condition": '{"field": "mood", "op": "eq", "value": "x"}'}, "policy-condition-error", "Unknown field"),
        ({"first_reply-amount": "0"}, "first_reply-amount-error", "seconds must be a whole number from 1"),
        ({"first_reply-amount": "soon"}, "first_reply-amount-error", "enter a number"),
        ({"resolution-amount": "400", "resolution-unit": "days"}, "resolution-amount-error", "(a year)"),
        ({"resolution-calendar": "999"}, "resolution-calendar-error", "no such calendar"),
        ({"first_reply-on": "", "resolution-on": ""}, "targets-error", "Turn on at least one target"),
        ({"name": ""}, "policy-name-error", "1 to 100 characters"),
    ]
    for change, where, words in cases:
        r = client.post("/admin/sla/new", data=_form(admin_csrf, office, **change))
        assert r.status_code == 422, (change, r.status_code)
        assert f'id="{where}"' in r.text and words in r.text, (change, r.text[-3000:])
    whatifs = [*cases[:6], ({"days": "400"}, "policy-days-error", "RAPPORT_SLA_WHATIF_MAX_DAYS")]
    for change, where, words in whatifs:
        r = client.get("/admin/sla/new/what-if", params=_form("", office, **change))
        assert r.status_code == 422, (change, r.status_code)
        assert f'id="{where}"' in r.text and words in r.text, (change, r.text[-3000:])
    assert _counts(db) == (0, 0)
    client.post("/admin/sla/new", data=_form(admin_csrf, office))
    r = client.post("/admin/sla/new", data=_form(admin_csrf, office, name="urgent"))
    assert r.status_code == 422 and "already a service policy named" in r.text
    assert _counts(db) == (1, 1)


def test_the_edit_page_adds_a_dated_version_renames_and_orders(client, world, db, office, frozen_clock, admin_csrf):
    client.follow_redirects = False
    client.post("/admin/sla/new", data=_form(admin_csrf, office))
    client.post("/admin/sla/new", data=_form(admin_csrf, office, name="Everyone", condition=""))
    first, second = client.get("/api/v1/sla/policies", headers=World.auth(world.admin_token)).json()
    page = client.get(f"/admin/sla/{first['id']}")
    assert page.status_code == 200 and 'value="1"' in page.text and "Current" in page.text
    later = (frozen_clock[0] + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    data = _form(admin_csrf, office, **{"first_reply-amount": "30", "first_reply-unit": "minutes"})
    r = client.post(f"/admin/sla/{first['id']}/versions", data={**data, "effective_from": later})
    assert r.status_code == 303, r.text
    page = client.get(f"/admin/sla/{first['id']}").text
    assert "Scheduled" in page and "First reply in 30 min (calendar time)" in page
    r = client.post(f"/admin/sla/{first['id']}/versions", data={**data, "effective_from": later})
    assert r.status_code == 422 and "already has a version effective from" in r.text
    r = client.post(f"/admin/sla/{first['id']}", data={"csrf_token": admin_csrf, "name": "Very urgent"})
    assert r.status_code == 303  # the unticked box switches it off
    r = client.post(f"/admin/sla/{second['id']}/move", data={"csrf_token": admin_csrf, "direction": "up"})
    assert r.status_code == 303
    listed = client.get("/api/v1/sla/policies", headers=World.auth(world.admin_token)).json()
    assert [(p["name"], p["active"]) for p in listed] == [("Everyone", True), ("Very urgent", False)]
    r = client.post(f"/admin/sla/{first['id']}/active", data={"csrf_token": admin_csrf, "active": "on"})
    assert r.status_code == 303
    assert client.get(f"/api/v1/sla/policies/{first['id']}", headers=World.auth(world.admin_token)).json()["active"]
    assert client.post(f"/admin/sla/{first['id']}/move", data={"direction": "up"}).status_code == 403  # no CSRF


def test_what_if_on_a_policy_is_a_get_form_that_sends_no_token_and_saves_nothing(
    client, world, db, office, frozen_clock, admin_csrf
):
    _history(db, world, frozen_clock)
    client.follow_redirects = False
    client.post("/admin/sla/new", data=_form(admin_csrf, office))
    (policy,) = client.get("/api/v1/sla/policies", headers=World.auth(world.admin_token)).json()
    page = client.get(f"/admin/sla/{policy['id']}").text
    assert f'formmethod="get" formaction="/admin/sla/{policy["id"]}/what-if" data-no-csrf' in page
    assert 'name="action"' not in page  # saving is the form's own POST; What if is never a POST
    data = {k: v for k, v in _form("", office, **{"first_reply-amount": "2"}).items() if k != "csrf_token"}
    r = client.get(f"/admin/sla/{policy['id']}/what-if", params=data)
    assert r.status_code == 200, r.text
    assert "What if: the last 1 days" in r.text and "Nothing was saved" in r.text
    assert 'name="first_reply-amount" type="text" value="2"' in r.text  # the form keeps what was typed
    assert _counts(db) == (1, 1)
    r = client.get(f"/admin/sla/{policy['id']}/what-if", params={**data, "days": "x"})
    assert r.status_code == 422 and 'id="policy-days-error"' in r.text
    assert client.get("/admin/sla/999/what-if", params=data).status_code == 404
