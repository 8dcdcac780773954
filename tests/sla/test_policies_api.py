"""Service policies through the API: create, read, change, new effective-dated versions, order; bad input refused
whole as problem+json."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rapport.models import Event, SlaPolicy, SlaPolicyVersion
from tests.conftest import World

PROBLEM = "application/problem+json"
URGENT = {"field": "priority", "op": "eq", "value": "urgent"}


def _targets(calendar_id: int, first: int = 3600) -> list[dict]:
    return [
        {"kind": "first_reply", "seconds": first, "calendar_id": calendar_id},
        {"kind": "resolution", "seconds": 86400, "business": False},
    ]


def _create(client, world, calendar_id: int, name: str = "Urgent", condition=URGENT, **extra):
    body = {"name": name, "condition": condition, "targets": _targets(calendar_id), **extra}
    return client.post("/api/v1/sla/policies", json=body, headers=World.auth(world.admin_token))


def _counts(db) -> tuple[int, int]:
    with db.read() as s:
        return s.scalar(select(func.count(SlaPolicy.id))), s.scalar(select(func.count(SlaPolicyVersion.id)))


def test_admins_create_policies_everyone_reads_them_in_order(client, world, office, frozen_clock):
    agent = World.auth(world.agent_token)
    forbidden = client.post("/api/v1/sla/policies", json={"name": "X", "targets": _targets(office)}, headers=agent)
    assert forbidden.status_code == 403
    r = _create(client, world, office, description="Urgent matters")
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["name"], first["position"], first["active"]) == ("Urgent", 1, True)
    assert first["current"]["condition"] == URGENT
    assert first["current"]["targets"][0] == {
        "kind": "first_reply", "seconds": 3600, "business": True, "calendar_id": office, "pause_on": [],
        "warn_share": 0.25,
    }  # fmt: skip
    assert first["current"]["targets"][1]["pause_on"] == ["pending", "on_hold"]  # resolution's default
    assert len(first["versions"]) == 1
    everyone = _create(client, world, office, name="Everyone", condition=None).json()
    assert everyone["current"]["condition"] == {"all": []}
    listed = client.get("/api/v1/sla/policies", headers=agent).json()
    assert [(p["name"], p["position"]) for p in listed] == [("Urgent", 1), ("Everyone", 2)]
    got = client.get(f"/api/v1/sla/policies/{first['id']}", headers=agent).json()
    assert got["description"] == "Urgent matters" and got["versions"][0]["id"] == first["current"]["id"]
    assert client.get("/api/v1/sla/policies/999", headers=agent).status_code == 404


def test_a_new_version_applies_from_its_date_and_the_old_one_stays(client, world, office, frozen_clock):
    admin = World.auth(world.admin_token)
    policy = _create(client, world, office).json()
    start = frozen_clock[0]
    later = start + timedelta(days=7)
    body = {"condition": URGENT, "targets": _targets(office, first=1800), "effective_from": later.isoformat()}
    r = client.post(f"/api/v1/sla/policies/{policy['id']}/versions", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["targets"][0]["seconds"] == 1800
    now = client.get(f"/api/v1/sla/policies/{policy['id']}", headers=admin).json()
    assert now["current"]["targets"][0]["seconds"] == 3600  # the new one is not in force yet
    assert [v["targets"][0]["seconds"] for v in now["versions"]] == [1800, 3600]  # newest date first
    frozen_clock[0] = later
    after = client.get(f"/api/v1/sla/policies/{policy['id']}", headers=admin).json()
    assert after["current"]["targets"][0]["seconds"] == 1800
    again = client.post(f"/api/v1/sla/policies/{policy['id']}/versions", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "effective_from"


def test_patch_renames_and_switches_off_and_reorder_sets_the_order(client, world, office, db):
    admin = World.auth(world.admin_token)
    a = _create(client, world, office, name="A").json()
    b = _create(client, world, office, name="B").json()
    r = client.patch(f"/api/v1/sla/policies/{a['id']}", json={"name": "Alpha", "active": False}, headers=admin)
    assert r.status_code == 200 and (r.json()["name"], r.json()["active"]) == ("Alpha", False)
    assert r.json()["current"]["targets"] == a["current"]["targets"]
    r = client.post("/api/v1/sla/policies/order", json={"ids": [b["id"], a["id"]]}, headers=admin)
    assert r.status_code == 200 and [p["name"] for p in r.json()] == ["B", "Alpha"]
    listed = client.get("/api/v1/sla/policies", headers=admin).json()
    assert [(p["name"], p["position"]) for p in listed] == [("B", 1), ("Alpha", 2)]
    bad = client.post("/api/v1/sla/policies/order", json={"ids": [b["id"]]}, headers=admin)
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert "exactly once" in bad.json()["detail"]
    with db.read() as s:
        names = list(s.scalars(select(Event.name).where(Event.name.like("sla_policy.%")).order_by(Event.id)))
    assert names == ["sla_policy.created", "sla_policy.created", "sla_policy.updated", "sla_policy.updated"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda t: t[0].update(seconds=0), "targets.0.seconds", "greater than or equal to 1"),
        (lambda t: t[0].update(seconds=-60), "targets.0.seconds", "greater than or equal to 1"),
        (lambda t: t[0].update(seconds=366 * 86400 + 1), "targets.0.seconds", "31622400"),
        (lambda t: t[0].update(calendar_id=4242), "targets[0].calendar_id", "there is no calendar 4242"),
        (lambda t: t[0].pop("calendar_id"), "targets[0].calendar_id", "names its calendar"),
        (lambda t: t[1].update(kind="first_reply", business=False), "targets[1].kind", "given twice"),
        (lambda t: t[0].update(pause_on=["pending"]), "targets[0].pause_on", "never paused"),
        (lambda t: t[0].update(kind="lunch"), "targets.0.kind", "first_reply"),
    ],
)
def test_a_bad_target_is_refused_and_nothing_is_written(client, world, office, db, change, field, words):
    targets = _targets(office)
    change(targets)
    r = client.post(
        "/api/v1/sla/policies", json={"name": "Bad", "targets": targets}, headers=World.auth(world.admin_token)
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert r.json()["errors"][0]["field"] == field and words in r.text, r.text
    assert _counts(db) == (0, 0)


def test_a_condition_on_an_unknown_field_is_refused_whole(client, world, office, db):
    admin = World.auth(world.admin_token)
    r = _create(client, world, office, condition={"all": [URGENT, {"field": "mood", "op": "eq", "value": "sad"}]})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert "unknown field 'mood'" in r.json()["detail"] and r.json()["errors"][0]["field"].startswith("condition")
    assert _counts(db) == (0, 0)
    policy = _create(client, world, office).json()
    bad = {"condition": {"field": "mood", "op": "eq", "value": "sad"}, "targets": _targets(office)}
    r = client.post(f"/api/v1/sla/policies/{policy['id']}/versions", json=bad, headers=admin)
    assert r.status_code == 422 and "unknown field 'mood'" in r.json()["detail"]
    assert _counts(db) == (1, 1)


def test_a_duplicate_name_is_a_conflict_and_nothing_is_written(client, world, office, db):
    admin = World.auth(world.admin_token)
    first = _create(client, world, office, name="Gold customers").json()
    r = _create(client, world, office, name="  gold   CUSTOMERS ")
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert "already a service policy named 'Gold customers'" in r.json()["detail"]
    other = _create(client, world, office, name="Silver").json()
    r = client.patch(f"/api/v1/sla/policies/{other['id']}", json={"name": "GOLD customers"}, headers=admin)
    assert r.status_code == 409
    assert _counts(db) == (2, 2)
    assert client.get(f"/api/v1/sla/policies/{first['id']}", headers=admin).json()["name"] == "Gold customers"


def test_patch_refuses_an_explicit_null_and_an_empty_name(client, world, office):
    admin = World.auth(world.admin_token)
    policy = _create(client, world, office).json()
    for body in ({"name": None}, {"active": None}, {"name": ""}):
        r = client.patch(f"/api/v1/sla/policies/{policy['id']}", json=body, headers=admin)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (body, r.text)
