"""The macros API: keep, list, preview and apply; bad input is a problem+json naming the field, nothing written."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from rapport.conversations.wording import describe
from rapport.models import Event, Macro, MacroUsage, Message
from tests.conftest import World, inbound
from tests.macros.helpers import BASE, conversation, make


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_agent_keeps_a_personal_macro_and_previews_it_without_writing(client, world, db):
    cid = conversation(client, world, name="Jo <b>Customer</b>")
    made = make(
        client, world.agent_token, name="Parcel late",
        body="Hi {{ customer.first_name }}, about #{{ conversation.number }}: {{ agent.first_name }} here.",
        note="Checked with {{ inbox.name }}; team {{ team.name | none yet }}",
        changes={"priority": "high", "add_tags": ["Late parcel"], "status": "pending"},
    )  # fmt: skip
    assert (made["visibility"], made["owner_id"]) == ("personal", world.agent.id)
    assert made["changes"] == {"priority": "high", "add_tags": ["late-parcel"], "status": "pending"}
    messages, events = _count(db, Message), _count(db, Event)
    r = client.get(
        f"{BASE}/{made['id']}/preview", params={"conversation_id": cid}, headers=World.auth(world.agent_token)
    )
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["reply"]["text"] == f"Hi Jo, about #{cid}: Alex here."
    assert p["note"]["text"] == "Checked with Support email; team Support"
    assert p["channel"] == "email"
    assert [(c["field"], c["before"], c["after"]) for c in p["changes"]] == [
        ("status", "new", "pending"),
        ("priority", "normal", "high"),
        ("add_tags", None, ["late-parcel"]),
    ]
    assert (_count(db, Message), _count(db, Event)) == (messages, events)  # a preview writes nothing
    # A value is inserted as text: the customer's name is escaped in the HTML the reply would store.
    cid2 = conversation(client, world, name="<script>x</script> Lee", text="another")
    who = client.get(
        f"{BASE}/{made['id']}/preview", params={"conversation_id": cid2}, headers=World.auth(world.agent_token)
    )
    assert "<script>" not in who.json()["reply"]["html"] and "&lt;script&gt;" in who.json()["reply"]["html"]


def test_applying_replies_changes_records_the_use_and_the_timeline_says_so(client, world, db):
    cid = conversation(client, world)
    made = make(
        client, world.agent_token, body="Hello {{ customer.name }}", note="Refund checked",
        changes={"priority": "urgent", "add_tags": ["refund"], "status": "solved", "assign_to_me": True},
    )  # fmt: skip
    h = World.auth(world.agent_token)
    r = client.post(f"{BASE}/{made['id']}/apply", json={"conversation_id": cid}, headers=h)
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["reply_message_id"] and done["note_message_id"]
    conv = client.get(f"/api/v1/conversations/{cid}", params={"include": ["messages", "events"]}, headers=h).json()
    assert (conv["status"], conv["priority"], conv["assignee_id"]) == ("solved", "urgent", world.agent.id)
    assert "refund" in conv["tags"]
    sent = [m for m in conv["messages"] if m["direction"] == "outbound"]
    assert sent[-1]["body_text"] == "Hello Jo Customer" and sent[-1]["delivery_status"] == "queued"
    names = [e["name"] for e in conv["events"]]
    assert "macro.applied" in names and "message.sent" in names and "conversation.priority_changed" in names
    with db.read() as s:
        row = s.scalars(select(Event).where(Event.name == "macro.applied")).one()
        assert describe(row, {world.agent.id: "Alex Agent"}) == "Alex Agent applied the macro 'Thanks'"
        use = s.scalars(select(MacroUsage)).one()
        assert (use.macro_id, use.conversation_id, use.agent_id) == (made["id"], cid, world.agent.id)
        assert use.reopen_until - use.applied_at == timedelta(days=7)


def test_measures_count_uses_and_reopens_within_the_window(client, world, db, frozen_clock):
    h = World.auth(world.agent_token)
    made = make(client, world.agent_token, body="Solved: {{ conversation.number }}", changes={"status": "solved"})
    first, second = conversation(client, world), conversation(client, world, name="Kim Lee")
    for cid in (first, second):
        assert client.post(f"{BASE}/{made['id']}/apply", json={"conversation_id": cid}, headers=h).status_code == 201
    frozen_clock[0] += timedelta(days=2)
    inbound(client, world.agent_token, world.email_inbox.id, "jocustomer@customer.test", "still", conversation_id=first)
    frozen_clock[0] += timedelta(days=10)  # a reopen after the window does not count
    inbound(client, world.agent_token, world.email_inbox.id, "kimlee@customer.test", "again", conversation_id=second)
    got = client.get(f"{BASE}/{made['id']}", headers=h).json()["measures"]
    assert (got["uses"], got["conversations"], got["reopened"], got["reopen_rate"]) == (2, 2, 1, 0.5)
    listed = client.get(BASE, headers=h).json()
    assert [m["measures"]["uses"] for m in listed] == [2]


def test_an_unknown_placeholder_is_refused_naming_it_and_nothing_is_written(client, world, db):
    h = World.auth(world.agent_token)
    for body, named in (
        ("Hi {{ customer.nickname }}", "customer.nickname"),
        ("Your order {{ field.order_no }}", "field.order_no"),
    ):
        r = client.post(BASE, json={"name": "Bad", "body": body}, headers=h)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert named in r.json()["detail"] and r.json()["placeholder"] == named
        assert r.json()["errors"][0]["field"] == "body"
    r = client.post(BASE, json={"name": "Bad", "note": "Hi {{ customer.name"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    assert _count(db, Macro) == 0


def test_a_macro_on_a_deleted_team_is_refused_when_saved_and_when_applied(client, world, db):
    sup = World.auth(world.sup_token)
    r = client.post(BASE, json={"name": "Move", "visibility": "shared", "changes": {"team_id": 999}}, headers=sup)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "changes.team_id"
    r = client.post(BASE, json={"name": "Team", "visibility": "team", "team_id": 999, "body": "x"}, headers=sup)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "team_id"
    from rapport.agents import service as agents
    from rapport.kernel.permissions import SYSTEM

    with db.write() as s:
        billing = agents.create_team(s, SYSTEM, name="Billing").id
    made = make(client, world.sup_token, name="To billing", visibility="shared", changes={"team_id": billing})
    cid = conversation(client, world)
    with db.write() as s:
        s.execute(text("DELETE FROM teams WHERE id = :t"), {"t": billing})
    events = _count(db, Event)
    r = client.post(f"{BASE}/{made['id']}/apply", json={"conversation_id": cid}, headers=World.auth(world.agent_token))
    assert r.status_code == 409 and "no longer exists" in r.json()["detail"] and "To billing" in r.json()["detail"]
    assert _count(db, Event) == events and _count(db, MacroUsage) == 0
    assert (
        client.get(
            f"{BASE}/{made['id']}/preview", params={"conversation_id": cid}, headers=World.auth(world.agent_token)
        ).status_code
        == 409
    )


def test_team_and_shared_macros_are_kept_by_supervisors_and_seen_by_their_teams(client, world):
    agent, sup, other = World.auth(world.agent_token), World.auth(world.sup_token), None
    r = client.post(BASE, json={"name": "Shared", "visibility": "shared", "body": "x"}, headers=agent)
    assert r.status_code == 403
    shared = make(client, world.sup_token, name="Shared", visibility="shared")
    team = make(client, world.sup_token, name="Support only", visibility="team", team_id=world.team.id)
    mine = make(client, world.agent_token, name="Mine")
    assert {m["name"] for m in client.get(BASE, headers=agent).json()} == {"Shared", "Support only", "Mine"}
    # Bo is in no team: shared only.
    with client.app.state.db.write() as s:
        from rapport.agents import service as agents
        from rapport.kernel.permissions import SYSTEM

        _, other = agents.create_token(s, SYSTEM, name="bo", scopes=["read", "write"], agent_id=world.agent2.id)
    assert {m["name"] for m in client.get(BASE, headers=World.auth(other)).json()} == {"Shared"}
    assert client.get(f"{BASE}/{team['id']}", headers=World.auth(other)).status_code == 404
    assert client.patch(f"{BASE}/{shared['id']}", json={"name": "X"}, headers=agent).status_code == 403
    r = client.patch(f"{BASE}/{shared['id']}", json={"name": "Everyone", "body": "Hi {{ agent.name }}"}, headers=sup)
    assert r.status_code == 200 and r.json()["name"] == "Everyone"
    assert client.patch(f"{BASE}/{mine['id']}", json={"body": "Hello"}, headers=agent).json()["body"] == "Hello"
    assert client.post(BASE, json={"name": "mine", "body": "y"}, headers=agent).status_code == 409  # same name
    assert client.delete(f"{BASE}/{mine['id']}", headers=agent).status_code == 204
    assert client.get(f"{BASE}/{mine['id']}", headers=agent).status_code == 404


def test_limits_are_settings_named_in_the_error(client, world, settings):
    h = World.auth(world.agent_token)
    settings.macro_max_chars = 100
    r = client.post(BASE, json={"name": "Long", "body": "x" * 101}, headers=h)
    assert r.status_code == 422 and "RAPPORT_MACRO_MAX_CHARS" in r.json()["detail"]
    settings.macro_max_tags = 1
    r = client.post(BASE, json={"name": "Tags", "changes": {"add_tags": ["a", "b"]}}, headers=h)
    assert r.status_code == 422 and "RAPPORT_MACRO_MAX_TAGS" in r.json()["detail"]
    r = client.post(BASE, json={"name": "Close", "changes": {"status": "closed"}}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "changes.status"
    r = client.post(BASE, json={"name": "Empty"}, headers=h)
    assert r.status_code == 422  # a macro that does nothing
    r = client.post(BASE, json={"name": "Field", "changes": {"fields": {"nope": 1}}}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "changes.fields.nope"
    assert client.get(f"{BASE}/placeholders", headers=h).json()[0]["name"] == "customer.name"
