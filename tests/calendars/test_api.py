"""The calendars API: agents read, admins write; bad input is a problem+json naming the field, nothing half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.kernel.permissions import SYSTEM
from rapport.sla import policies
from tests.calendars.helpers import INVENTORY, NIGHTS, OFFICE, PARTY, feed
from tests.conftest import World

BASE = "/api/v1/calendars"


def _create(client, world, name="Office", spec=OFFICE, **extra):
    r = client.post(BASE, json={"name": name, "spec": spec, **extra}, headers=World.auth(world.admin_token))
    assert r.status_code == 201, r.text
    return r.json()


def test_admins_create_and_revise_agents_read(client, world, frozen_clock):
    admin, agent = World.auth(world.admin_token), World.auth(world.agent_token)
    assert client.post(BASE, json={"name": "Office", "spec": OFFICE}, headers=agent).status_code == 403
    made = _create(client, world, description="Berlin office")
    assert made["versions"][0]["effective_from"].startswith("1970-01-01T00:00:00")
    assert made["versions"][0]["spec"]["weekly"]["mon"] == ["09:00-12:00", "13:00-17:30"]
    assert made["used_by"] == []
    cid = made["id"]
    later = (frozen_clock[0] + timedelta(days=7)).isoformat()
    r = client.post(f"{BASE}/{cid}/versions", json={"spec": NIGHTS, "effective_from": later}, headers=admin)
    assert r.status_code == 201 and r.json()["spec"]["timezone"] == "America/New_York"
    again = client.post(f"{BASE}/{cid}/versions", json={"spec": OFFICE, "effective_from": later}, headers=admin)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert client.post(f"{BASE}/{cid}/versions", json={"spec": NIGHTS}, headers=agent).status_code == 403
    listed = client.get(BASE, headers=agent).json()
    assert [(c["id"], c["name"]) for c in listed] == [(cid, "Office")]
    one = client.get(f"{BASE}/{cid}", headers=agent).json()
    assert [v["spec"]["timezone"] for v in one["versions"]] == ["America/New_York", "Europe/Berlin"]
    r = client.patch(f"{BASE}/{cid}", json={"name": "Berlin office"}, headers=admin)
    assert r.status_code == 200 and (r.json()["name"], r.json()["description"]) == ("Berlin office", "Berlin office")
    assert client.get(f"{BASE}/{cid + 99}", headers=agent).status_code == 404


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({**OFFICE, "timezone": "Mars/Olympus"}, "timezone"),
        ({**OFFICE, "weekly": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "weekly.mon"),
        ({**OFFICE, "weekly": {"tue": ["10:00-10:00"]}}, "weekly.tue"),
        ({**OFFICE, "weekly": {}, "dates": []}, "weekly"),
        ({**OFFICE, "holidays": {"country": "XX"}}, "holidays.country"),
        ({**OFFICE, "holidays": {"country": "US", "subdivision": "ZZ"}}, "holidays.subdivision"),
        ({**OFFICE, "weekly": {"mon": ["9-5"]}}, "spec.weekly.mon.0"),
        ({**OFFICE, "weekly": {"funday": ["09:00-17:00"]}}, "spec.weekly.funday"),
    ],
)
def test_a_bad_spec_is_a_problem_naming_the_field_and_nothing_is_written(client, world, spec, field):
    admin = World.auth(world.admin_token)
    r = client.post(BASE, json={"name": "Bad", "spec": spec}, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert client.get(BASE, headers=admin).json() == []
    cid = _create(client, world)["id"]
    r = client.post(f"{BASE}/{cid}/versions", json={"spec": spec}, headers=admin)
    assert r.status_code == 422 and field in [e["field"] for e in r.json()["errors"]]
    assert len(client.get(f"{BASE}/{cid}", headers=admin).json()["versions"]) == 1


def test_a_calendar_in_use_is_not_deleted_and_the_policies_are_named(client, world, db):
    admin = World.auth(world.admin_token)
    cid = _create(client, world)["id"]
    spare = _create(client, world, name="Spare", spec=NIGHTS)["id"]
    with db.write() as s:
        target = {"kind": "first_reply", "seconds": 3600, "business": True, "calendar_id": cid}
        policies.create(s, SYSTEM, name="Gold", targets=[target])
    r = client.delete(f"{BASE}/{cid}", headers=admin)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert "'Gold'" in r.json()["detail"] and r.json()["policies"] == ["Gold"]
    assert client.get(f"{BASE}/{cid}", headers=admin).json()["used_by"] == ["Gold"]
    assert client.delete(f"{BASE}/{spare}", headers=World.auth(world.agent_token)).status_code == 403
    assert client.delete(f"{BASE}/{spare}", headers=admin).status_code == 204
    assert [c["id"] for c in client.get(BASE, headers=admin).json()] == [cid]


def test_an_ical_feed_is_previewed_then_imported_with_items_left_out(client, world, frozen_clock):
    admin = World.auth(world.admin_token)
    cid = _create(client, world)["id"]
    text = feed(INVENTORY, PARTY)
    r = client.post(f"{BASE}/{cid}/ical", json={"ical": text, "dry_run": True}, headers=admin)
    assert r.status_code == 200 and r.json()["version"] is None
    assert [(i["uid"], i["summary"], i["first"]) for i in r.json()["items"]] == [
        ("inventory@example.com", "Inventory day", "2026-12-04"),
        ("party@example.com", "Team party", "2026-12-11"),
    ]
    assert len(client.get(f"{BASE}/{cid}", headers=admin).json()["versions"]) == 1
    r = client.post(
        f"{BASE}/{cid}/ical",
        json={"ical": text, "feed_name": "Closures", "opt_out": ["party@example.com"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert (version["feed_name"], version["feed_opt_out"]) == ("Closures", ["party@example.com"])
    assert [d["uid"] for d in version["spec"]["dates"]] == [None, "inventory@example.com"]
    assert version["spec"]["closures"] == []
    assert [i["opted_out"] for i in r.json()["items"]] == [False, True]


def test_a_bad_feed_is_a_problem_and_nothing_is_written(client, world, settings):
    admin = World.auth(world.admin_token)
    cid = _create(client, world)["id"]
    r = client.post(f"{BASE}/{cid}/ical", json={"ical": "<html>not a calendar</html>"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ical"
    assert "not an iCal calendar" in r.json()["detail"]
    settings.ical_max_bytes = 1024
    big = feed(*[INVENTORY.replace("inventory@", f"i{n}@") for n in range(20)])
    r = client.post(f"{BASE}/{cid}/ical", json={"ical": big}, headers=admin)
    assert r.status_code == 413 and "RAPPORT_ICAL_MAX_BYTES" in r.json()["detail"]
    assert r.headers["content-type"] == "application/problem+json"
    assert len(client.get(f"{BASE}/{cid}", headers=admin).json()["versions"]) == 1


def test_the_holiday_countries_are_listed_with_their_subdivisions(client, world):
    r = client.get(f"{BASE}/holiday-countries", headers=World.auth(world.readonly_token))
    assert r.status_code == 200
    germany = next(c for c in r.json() if c["code"] == "DE")
    assert germany["name"] == "Germany"
    assert {"code": "BY", "name": "Bayern"} in germany["subdivisions"]
    assert all(len(c["code"]) == 2 for c in r.json())
