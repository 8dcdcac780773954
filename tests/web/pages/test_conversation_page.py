"""The conversation page: timeline, escaping, customer panel, repeat contacts, composer, mentions, actions, merge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.categories import service as categories
from rapport.conversations import fields
from rapport.conversations import service as conversations
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Conversation, ConversationRouting, Event, Message
from rapport.models.enums import FieldKind
from rapport.realtime.pushes import build_pushes
from rapport.routing import service as routing
from tests.conftest import inbound

HX = {"hx-request": "true"}


def close(db, conversation_id: int) -> None:
    """Solve then close a conversation, so the customer's next message opens a new one."""
    for status in ("solved", "closed"):
        with db.write() as s:
            conversations.update(s, SYSTEM, conversation_id, conversations.Changes(status=status))


def test_timeline_shows_messages_notes_and_events_escaped(client, world, signed_in, db):
    got = inbound(
        client,
        world.agent_token,
        world.email_inbox.id,
        text="<script>alert(1)</script> plain",
        html='<p>Hi <img src=x onerror="alert(2)"><script>alert(3)</script><b>bold</b></p>',
        subject="Help",
    )
    conv = got["conversation_id"]
    with db.write() as s:
        conversations.add_note(s, SYSTEM, conv, text="<i>internal</i> only")
    html = client.get(f"/conversations/{conv}").text
    assert "<b>bold</b>" in html  # the sanitised HTML is shown
    assert "alert(2)" not in html and "alert(3)" not in html and "<script>alert" not in html
    assert "&lt;i&gt;internal&lt;/i&gt; only" in html or "<i>internal</i>" not in html
    assert 'class="msg note"' in html and "Internal note" in html
    assert "conversation created" in html and "icon-mail" in html and "</svg> email" in html


def test_get_changes_nothing(client, world, signed_in, db):
    conv = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    with db.read() as s:
        before = s.scalar(select(func.count()).select_from(Event))
    for path in (f"/conversations/{conv}", f"/conversations/{conv}/timeline", "/inbox/all", "/", "/profile"):
        assert client.get(path).status_code in (200, 303)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == before


def test_repeat_contact_warning(client, world, signed_in, db):
    for n in range(3):
        conv = inbound(client, world.agent_token, world.api_inbox.id, text=f"again {n}", subject=f"S{n}")
        close(db, conv["conversation_id"])
    html = client.get(f"/conversations/{conv['conversation_id']}").text
    assert "3rd contact in 7 days" in html
    assert html.count('href="/conversations/') >= 2  # the other conversations are linked


def test_repeat_contact_counts_only_the_window(client, world, signed_in, db, frozen_clock):
    first = inbound(client, world.agent_token, world.api_inbox.id, text="old")["conversation_id"]
    close(db, first)
    frozen_clock[0] += timedelta(days=8)
    second = inbound(client, world.agent_token, world.api_inbox.id, text="new")["conversation_id"]
    assert second != first
    assert "contact in 7 days" not in client.get(f"/conversations/{second}").text


def test_reply_from_the_composer(client, world, signed_in, db):
    conv = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    html = client.get(f"/conversations/{conv}").text
    assert '<option value="email" selected' in html  # the default reply channel
    r = client.post(
        f"/conversations/{conv}/messages",
        data={"text": "On its way", "mode": "reply", "channel": "email"},
        files={"files": ("label.txt", b"tracking 123", "text/plain")},
        headers=HX | {"x-csrf-token": signed_in},
    )
    assert r.status_code == 200 and r.text.startswith('<ol id="timeline"')
    assert "On its way" in r.text and "label.txt" in r.text
    with db.read() as s:
        out = s.scalar(select(Message).where(Message.direction == "outbound"))
        assert out.channel == "email" and out.delivery_status == "queued"
    r = client.post(
        f"/conversations/{conv}/messages",
        data={"text": "  ", "mode": "reply"},
        headers=HX | {"x-csrf-token": signed_in},
    )
    assert r.status_code == 422 and "Write something" in r.text


def test_note_mentions_notify_the_agent(client, world, signed_in, db):
    conv = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    r = client.post(
        f"/conversations/{conv}/messages",
        data={"csrf_token": signed_in, "text": "@bo can you check? cc @nobody", "mode": "note"},
    )
    assert r.status_code == 303
    with db.read() as s:
        events = s.scalars(select(Event).where(Event.name == "agent.mentioned")).all()
        assert [e.payload for e in events] == [{"agent_id": world.agent2.id}]
        note = s.scalar(select(Message).where(Message.direction == "note"))
        assert events[0].message_id == note.id
    push = next(p for p in build_pushes(db, events) if p.name == "agent.mentioned")
    assert f"agent:{world.agent2.id}" in push.topics and not push.public


def test_actions_change_the_conversation(client, world, signed_in, db):
    conv = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    with db.write() as s:
        fields.define(s, SYSTEM, key="order", label="Order number", kind=FieldKind.number)
        shipping = categories.create(s, SYSTEM, name="shipping")
    assert '<option value="shipping">shipping</option>' in client.get(f"/conversations/{conv}").text
    r = client.post(
        f"/conversations/{conv}/actions",
        data={
            "status": "pending",
            "priority": "urgent",
            "assignee_id": str(world.agent.id),
            "team_id": "",
            "category": "shipping",
            "add_tag": "late",
            "field.order": "1234",
        },
        headers=HX | {"x-csrf-token": signed_in},
    )
    assert r.status_code == 200 and "Saved." in r.text and r.headers["hx-trigger"] == "timeline-changed, head-changed"
    with db.read() as s:
        c = s.get(Conversation, conv)
        assert (c.status, c.priority, c.assignee_id, c.team_id, c.category_id) == (
            "pending",
            "urgent",
            world.agent.id,
            None,
            shipping.id,
        )
        assert c.custom_fields == {"order": 1234}
    timeline = client.get(f"/conversations/{conv}/timeline").text
    assert "Alex Agent removed the team" in timeline and "Alex Agent assigned it to Alex Agent" in timeline
    r = client.post(
        f"/conversations/{conv}/actions", data={"field.order": "many"}, headers=HX | {"x-csrf-token": signed_in}
    )
    assert r.status_code == 422 and "expected a number" in r.text


def test_merge(client, world, signed_in, db):
    a = inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test")["conversation_id"]
    b = inbound(client, world.agent_token, world.api_inbox.id, "a@customer.test")["conversation_id"]
    r = client.post(f"/conversations/{a}/merge", data={"csrf_token": signed_in, "target_id": str(b)})
    assert r.status_code == 303 and r.headers["location"] == f"/conversations/{b}"
    with db.read() as s:
        assert s.get(Conversation, a).merged_into_id == b


def test_unknown_conversation_is_a_plain_404_page(client, signed_in):
    r = client.get("/conversations/999999")
    assert r.status_code == 404 and "There is no conversation 999999" in r.text
    assert r.headers["content-type"].startswith("text/html")


def test_header_fragment_follows_changes(client, world, signed_in, db):
    conv = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    html = client.get(f"/conversations/{conv}").text
    assert f'<header id="thread-head" class="thread-head" hx-get="/conversations/{conv}/head"' in html
    assert 'hx-trigger="head-changed from:body"' in html and 'data-head="assignee">nobody<' in html
    other = Actor(kind="agent", id=world.agent2.id, role=world.agent2.role, name=world.agent2.name)
    with db.write() as s:
        categories.create(s, SYSTEM, name="billing")
    with db.write() as s:  # another agent changes everything the header shows
        conversations.update(
            s,
            other,
            conv,
            conversations.Changes(
                status="pending",
                priority="urgent",
                assignee_id=world.agent2.id,
                team_id=world.team.id,
                category="billing",
                add_tags=["refund"],
            ),
        )
    r = client.get(f"/conversations/{conv}/head", headers=HX)
    assert r.status_code == 200 and r.text.startswith('<header id="thread-head"')
    for part, shown in (
        ("status", "pending"),
        ("priority", "urgent"),
        ("assignee", "Bo Agent"),
        ("team", "Support"),
        ("category", "billing"),
    ):
        assert f'data-head="{part}">{shown}<' in r.text
    assert '<span class="chip">refund</span>' in r.text
    assert "csrf" not in r.text.lower()  # a display fragment: no form, nothing to post
    assert client.get("/conversations/999999/head", headers=HX).status_code == 404


def test_the_panel_sets_the_skills_routing_needs(client, world, signed_in, db):
    conv = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    assert "Skills its agent needs" not in client.get(f"/conversations/{conv}").text  # none declared: no control
    with db.write() as s:
        for name, kind in (("de", "language"), ("billing", "product")):
            routing.create_skill(s, SYSTEM, name=name, kind=kind)
    page = client.get(f"/conversations/{conv}").text
    assert "Skills its agent needs" in page and 'name="skill.de"' in page
    form = {"csrf_token": signed_in, "skill.de": "required", "skill.billing": "preferred"}
    r = client.post(f"/conversations/{conv}/skills", data=form)
    assert r.status_code == 303 and r.headers["location"] == f"/conversations/{conv}"
    with db.read() as s:
        row = s.get(ConversationRouting, conv)
        assert (row.required_skills, row.preferred_skills) == (["de"], ["billing"])
    page = client.get(f"/conversations/{conv}").text
    assert '<option value="required" selected>Required</option>' in page
    assert "said it requires de and prefers billing" in client.get(f"/conversations/{conv}/timeline").text
    for bad in ({"skill.de": "always"}, {"skill.klingon": "required"}, {"skill." + "x" * 65: "required"}):
        r = client.post(f"/conversations/{conv}/skills", data={"csrf_token": signed_in} | bad)
        assert r.status_code == 422, bad
    with db.read() as s:
        assert s.get(ConversationRouting, conv).required_skills == ["de"]  # a refused form changes nothing
    client.post(f"/conversations/{conv}/skills", data={"csrf_token": signed_in, "skill.de": ""})
    with db.read() as s:
        row = s.get(ConversationRouting, conv)
        assert (row.required_skills, row.preferred_skills) == ([], [])
