"""Customers: identities unique, profile changes, merging, cross-channel timeline."""

from tests.conftest import World, inbound


def test_create_customer_with_identities_and_conflicts(client, world):
    h = World.auth(world.agent_token)
    r = client.post(
        "/api/v1/customers",
        headers=h,
        json={
            "name": "Kim",
            "company": "Acme",
            "vip": True,
            "identities": [
                {"kind": "email", "address": "Kim@Acme.test"},
                {"kind": "phone", "address": "+44 20 7946 0958"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    kim = r.json()
    assert {(i["kind"], i["address"]) for i in kim["identities"]} == {
        ("email", "kim@acme.test"),
        ("phone", "+442079460958"),
    }
    dup = client.post(
        "/api/v1/customers", headers=h, json={"identities": [{"kind": "email", "address": "kim@acme.test"}]}
    )
    assert dup.status_code == 409 and "merge" in dup.json()["detail"]
    assert client.get("/api/v1/customers?email=KIM@acme.test", headers=h).json()["items"][0]["id"] == kim["id"]
    r = client.patch(f"/api/v1/customers/{kim['id']}", headers=h, json={"segment": "enterprise"})
    assert r.json()["segment"] == "enterprise"


def test_merge_customers_moves_identities_and_conversations(client, world):
    a = inbound(client, world.agent_token, world.email_inbox.id, address="kim@acme.test")
    b = inbound(
        client,
        world.agent_token,
        world.api_inbox.id,
        address="+14155550100",
        sender={"kind": "phone", "address": "+14155550100"},
    )
    assert a["customer_id"] != b["customer_id"]
    h = World.auth(world.sup_token)
    r = client.post(f"/api/v1/customers/{b['customer_id']}/merge", json={"into_id": a["customer_id"]}, headers=h)
    assert r.status_code == 200
    kinds = {i["kind"] for i in r.json()["identities"]}
    assert kinds == {"email", "phone"}
    convs = client.get(f"/api/v1/conversations?customer_id={a['customer_id']}", headers=h).json()["items"]
    assert {c["id"] for c in convs} == {a["conversation_id"], b["conversation_id"]}
    # The old id leads to the survivor, and the phone now finds the merged customer.
    assert client.get(f"/api/v1/customers/{b['customer_id']}", headers=h).json()["id"] == a["customer_id"]
    c = inbound(client, world.agent_token, world.api_inbox.id, sender={"kind": "phone", "address": "+1 415 555 0100"})
    assert c["customer_id"] == a["customer_id"]
    timeline = client.get(f"/api/v1/customers/{a['customer_id']}/timeline", headers=h).json()["items"]
    assert "customer.merged" in [e["name"] for e in timeline]
    channels = {e["payload"].get("channel") for e in timeline if e["name"] == "message.received"}
    assert channels == {"email", "api"}
