"""Agent-side changes: replies, notes, fields, tags, assignment, listing and merging."""

from sqlalchemy import select

from rapport.models import Event, Job
from tests.conftest import World, inbound


def _conv(client, world, **kw):
    return inbound(client, world.agent_token, world.email_inbox.id, **kw)["conversation_id"]


def test_reply_goes_to_latest_inbound_channel_and_opens(client, world, db):
    cid = _conv(client, world)
    inbound(
        client,
        world.agent_token,
        world.api_inbox.id,
        conversation_id=cid,
        channel="sms",
        sender={"kind": "email", "address": "jo@customer.test"},
    )
    h = World.auth(world.agent_token)
    r = client.post(f"/api/v1/conversations/{cid}/replies", json={"text": "On it!\n\nBest, Alex"}, headers=h)
    assert r.status_code == 201
    msg = r.json()
    assert msg["channel"] == "sms" and msg["direction"] == "outbound" and msg["delivery_status"] == "queued"
    assert msg["body_html"] == "<p>On it!</p><p>Best, Alex</p>" and msg["agent_id"] == world.agent.id
    explicit = client.post(
        f"/api/v1/conversations/{cid}/replies", json={"text": "By email", "channel": "email"}, headers=h
    ).json()
    assert explicit["channel"] == "email"
    conv = client.get(f"/api/v1/conversations/{cid}", headers=h).json()
    assert conv["status"] == "open" and conv["first_reply_at"] is not None and conv["message_count"] == 4
    with db.read() as s:
        assert s.scalars(select(Job.kind).where(Job.kind == "messages.deliver")).all() == ["messages.deliver"] * 2


def test_note_is_internal_and_evented(client, world, db):
    cid = _conv(client, world)
    h = World.auth(world.agent_token)
    r = client.post(f"/api/v1/conversations/{cid}/notes", json={"html": "<p>VIP <script>x</script></p>"}, headers=h)
    assert r.status_code == 201 and r.json()["direction"] == "note" and "script" not in r.json()["body_html"]
    with db.read() as s:
        assert s.scalar(select(Event.name).where(Event.message_id == r.json()["id"])) == "note.added"


def test_patch_records_one_event_per_change(client, world, db):
    cid = _conv(client, world)
    admin = World.auth(world.admin_token)
    assert (
        client.post(
            "/api/v1/fields", json={"key": "order_no", "label": "Order", "kind": "number"}, headers=admin
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/fields",
            json={"key": "plan", "label": "Plan", "kind": "select", "options": ["free", "pro"]},
            headers=admin,
        ).status_code
        == 201
    )
    assert client.post("/api/v1/categories", json={"name": "Billing"}, headers=admin).status_code == 201
    h = World.auth(world.sup_token)
    r = client.patch(
        f"/api/v1/conversations/{cid}",
        headers=h,
        json={
            "priority": "high",
            "assignee_id": world.agent2.id,
            "category": "billing",
            "add_tags": ["Refund", "vip"],
            "fields": {"order_no": 42, "plan": "pro"},
            "status": "on_hold",
        },
    )
    assert r.status_code == 200, r.text
    conv = r.json()
    assert conv["tags"] == ["refund", "vip"] and conv["custom_fields"] == {"order_no": 42, "plan": "pro"}
    assert conv["assignee_id"] == world.agent2.id and conv["status"] == "on_hold"
    assert conv["category"] == "Billing" and conv["category_id"] is not None  # matched whatever the case
    with db.read() as s:
        names = set(s.scalars(select(Event.name).where(Event.conversation_id == cid)))
    assert {
        "conversation.priority_changed",
        "conversation.assigned",
        "conversation.category_changed",
        "conversation.tags_changed",
        "conversation.fields_changed",
        "conversation.status_changed",
    } <= names
    bad = client.patch(f"/api/v1/conversations/{cid}", headers=h, json={"fields": {"plan": "gold", "nope": 1}})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"fields.plan", "fields.nope"}
    r = client.patch(f"/api/v1/conversations/{cid}", headers=h, json={"remove_tags": ["vip"], "fields": {"plan": None}})
    assert r.json()["tags"] == ["refund"] and r.json()["custom_fields"] == {"order_no": 42}


def test_list_filters_sort_and_cursor(client, world):
    ids = [_conv(client, world, address=f"c{i}@customer.test") for i in range(7)]
    h = World.auth(world.sup_token)
    client.patch(
        f"/api/v1/conversations/{ids[0]}", json={"add_tags": ["refund"], "assignee_id": world.agent.id}, headers=h
    )
    client.patch(f"/api/v1/conversations/{ids[1]}", json={"status": "pending"}, headers=h)
    seen, cursor = [], None
    while True:
        r = client.get(
            "/api/v1/conversations", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=h
        ).json()
        seen += [c["id"] for c in r["items"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert seen[:2] == [ids[1], ids[0]]  # most recently updated first
    assert [c["id"] for c in client.get("/api/v1/conversations?tag=refund", headers=h).json()["items"]] == [ids[0]]
    mine = client.get(f"/api/v1/conversations?assignee_id={world.agent.id}", headers=h).json()["items"]
    assert [c["id"] for c in mine] == [ids[0]]
    pending = client.get("/api/v1/conversations?status=pending&status=on_hold", headers=h).json()["items"]
    assert [c["id"] for c in pending] == [ids[1]]
    oldest = client.get("/api/v1/conversations?sort=created_asc&limit=1", headers=h).json()["items"]
    assert oldest[0]["id"] == ids[0]
    assert client.get("/api/v1/conversations?cursor=garbage", headers=h).status_code == 422
    assert client.get("/api/v1/conversations?limit=100000", headers=h).status_code == 422
    assert client.get(f"/api/v1/conversations?inbox_id={world.api_inbox.id}", headers=h).json()["items"] == []


def test_merge_conversations_moves_messages_and_tags(client, world, db):
    a = _conv(client, world, address="a@customer.test")
    b = inbound(client, world.agent_token, world.api_inbox.id, address="a@customer.test")["conversation_id"]
    h = World.auth(world.agent_token)
    client.patch(f"/api/v1/conversations/{a}", json={"add_tags": ["x"]}, headers=h)
    r = client.post(f"/api/v1/conversations/{a}/merge", json={"into_id": b}, headers=h)
    assert r.status_code == 200 and r.json()["id"] == b and r.json()["message_count"] == 2 and r.json()["tags"] == ["x"]
    source = client.get(f"/api/v1/conversations/{a}", headers=h).json()
    assert source["status"] == "closed" and source["merged_into_id"] == b
    assert client.post(f"/api/v1/conversations/{a}/merge", json={"into_id": b}, headers=h).status_code == 409
    assert client.post(f"/api/v1/conversations/{b}/merge", json={"into_id": b}, headers=h).status_code == 409
    # A message referencing the merged conversation lands in the survivor.
    c = inbound(client, world.agent_token, world.api_inbox.id, address="a@customer.test", conversation_id=a)
    assert c["conversation_id"] == b
    listed = [x["id"] for x in client.get("/api/v1/conversations", headers=h).json()["items"]]
    assert a not in listed and b in listed


def test_timeline_pages_in_order(client, world):
    cid = _conv(client, world)
    h = World.auth(world.agent_token)
    for i in range(3):
        client.post(f"/api/v1/conversations/{cid}/notes", json={"text": f"n{i}"}, headers=h)
    first = client.get(f"/api/v1/conversations/{cid}/timeline?limit=2", headers=h).json()
    rest = client.get(f"/api/v1/conversations/{cid}/timeline?after={first['next_cursor']}", headers=h).json()
    names = [e["name"] for e in first["items"] + rest["items"]]
    assert names == ["conversation.created", "message.received", "note.added", "note.added", "note.added"]


def test_fast_read_paths_match_their_documented_shapes(client, world):
    from rapport.conversations.schemas import ConversationDetail, ConversationOut

    cid = _conv(client, world)
    h = World.auth(world.agent_token)
    client.post(f"/api/v1/conversations/{cid}/notes", json={"text": "n"}, headers=h)
    for item in client.get("/api/v1/conversations", headers=h).json()["items"]:
        assert set(item) == set(ConversationOut.model_fields)
        ConversationOut.model_validate(item)
    detail = client.get(f"/api/v1/conversations/{cid}?include=messages&include=events", headers=h).json()
    assert set(detail) == set(ConversationDetail.model_fields)
    parsed = ConversationDetail.model_validate(detail)
    assert len(parsed.messages) == 2 and len(parsed.events) == 3


def test_human_request_is_flagged_once_and_cleared_by_an_agent_reply(db, world):
    """Asking for a person flags the conversation once; the first agent reply clears it and records the wait."""
    from rapport.conversations import human, service
    from rapport.conversations.inbound import Inbound, receive_inbound
    from rapport.kernel.permissions import SYSTEM, Actor
    from rapport.models import Conversation, Event

    with db.write() as s:
        got = receive_inbound(s, SYSTEM, Inbound(world.email_inbox.id, "email", "pat@example.net", text="help"))
        human.request_human(s, SYSTEM, got.conversation_id, channel="chat", via="chat_button")
        human.request_human(s, SYSTEM, got.conversation_id, channel="chat", via="chat_button")
    with db.write() as s:
        assert s.get(Conversation, got.conversation_id).human_requested_at is not None
        agent = Actor(kind="agent", id=world.agent.id, role=world.agent.role)
        service.reply(s, agent, got.conversation_id, text="Hi, Alex here.")
    with db.read() as s:
        assert s.get(Conversation, got.conversation_id).human_requested_at is None
        names = [e.name for e in s.query(Event).filter_by(conversation_id=got.conversation_id)]
    assert names.count("conversation.human_requested") == 1
    assert names.count("conversation.human_answered") == 1


def test_list_and_open_read_the_tags_with_the_row(client, world):
    cid = _conv(client, world, address="tagged@customer.test")
    other = _conv(client, world, address="plain@customer.test")
    h = World.auth(world.agent_token)
    client.patch(f"/api/v1/conversations/{cid}", json={"add_tags": ["zeta", "Alpha", "a,b"]}, headers=h)
    listed = {c["id"]: c for c in client.get("/api/v1/conversations", headers=h).json()["items"]}
    opened = client.get(f"/api/v1/conversations/{cid}", headers=h).json()
    for conv in (listed[cid], opened):
        assert conv["tags"] == ["a,b", "alpha", "zeta"] and "tag_list" not in conv
    assert listed[other]["tags"] == [] and "tag_list" not in listed[other]


def test_list_of_some_active_statuses(client, world):
    h = World.auth(world.agent_token)
    fresh, taken, waiting, done = (_conv(client, world, address=f"s{i}@customer.test") for i in range(4))
    client.patch(f"/api/v1/conversations/{taken}", json={"assignee_id": world.agent.id}, headers=h)
    client.patch(f"/api/v1/conversations/{waiting}", json={"status": "pending"}, headers=h)
    client.patch(f"/api/v1/conversations/{done}", json={"status": "solved"}, headers=h)

    def ids(query: str) -> set[int]:
        return {c["id"] for c in client.get(f"/api/v1/conversations?{query}", headers=h).json()["items"]}

    assert ids("unassigned=true&status=new") == {fresh}
    assert ids("status=new&status=pending") == {fresh, taken, waiting}
    assert ids("status=pending&status=solved") == {waiting, done}
    assert ids("status=new&status=open&status=pending&status=on_hold") == {fresh, taken, waiting}
