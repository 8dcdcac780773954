"""Bulk import of JSONL: what it creates, that re-running creates nothing, and how bad lines are reported."""

from datetime import UTC, datetime

from sqlalchemy import select

from rapport.conversations import service as conversations
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, ConversationTag, Customer, Event, Message
from rapport.transfer.importer import import_file, import_records
from tests.transfer.helpers import (
    DIRECTORY,
    check_event_payloads,
    conversation,
    count,
    search_messages,
    write_jsonl,
)


def test_import_creates_conversations_messages_events_and_search(db, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [*DIRECTORY, conversation("zd-1"), conversation("zd-2", status="open")])
    report = import_file(db, path)
    assert report.error_count == 0 and report.aborted is None
    assert report.counts["conversation.created"] == 2 and report.counts["message.created"] == 6
    with db.read() as s:
        conv = s.scalar(select(Conversation).where(Conversation.source_ref == "zd-1"))
        assert (conv.status, conv.priority, conv.channel, conv.message_count) == ("solved", "high", "email", 3)
        assert conv.first_reply_at == datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
        assert conv.last_inbound_at == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
        assert conv.solved_at is not None and conv.assignee_id is not None and conv.team_id is not None
        tags = s.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == conv.id)).all()
        assert sorted(tags) == ["refund", "vip"]
        msgs = s.scalars(select(Message).where(Message.conversation_id == conv.id).order_by(Message.id)).all()
        assert [m.direction for m in msgs] == ["inbound", "outbound", "note"]
        assert msgs[0].customer_id == conv.customer_id and msgs[1].agent_id == conv.assignee_id
        assert msgs[1].author_kind == "agent" and msgs[1].delivery_status == "sent"
        names = s.scalars(select(Event.name).where(Event.conversation_id == conv.id).order_by(Event.id)).all()
    assert names == [
        "conversation.created",
        "message.received",
        "message.sent",
        "note.added",
        "conversation.status_changed",
    ]
    with db.read() as s:
        moves = s.scalars(select(Event.payload).where(Event.name == "conversation.status_changed")).all()
    assert sorted(m["to"] for m in moves) == ["open", "solved"] and {m["from"] for m in moves} == {"new"}
    assert check_event_payloads(db) == report.counts["event.created"] + 4  # + team, agent, 2 inbox events
    assert len(search_messages(db, "kettle")) == 2
    # Explicit ids must not collide with the database's own: the services can keep writing.
    with db.write() as s:
        reply = conversations.reply(s, SYSTEM, conv.id, text="One more thing")
    assert reply.id > max(m.id for m in msgs)


def test_running_the_same_file_again_creates_nothing(db, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [*DIRECTORY, conversation("zd-1"), conversation("zd-2")])
    import_file(db, path)
    before = {t: count(db, t) for t in ("customers", "identities", "conversations", "messages", "events")}
    again = import_file(db, path)
    assert {t: count(db, t) for t in before} == before
    assert again.counts["conversation.existing"] == 2 and again.counts["message.existing"] == 6
    assert again.counts["conversation.created"] == again.counts["message.created"] == 0
    assert again.counts["customer.existing"] == 1 and again.counts["agent.existing"] == 1


def test_new_messages_join_a_conversation_imported_before(db, tmp_path):
    import_file(db, write_jsonl(tmp_path / "a.jsonl", [*DIRECTORY, conversation("zd-1")]))
    later = conversation("zd-1")
    later["messages"].append({"text": "It arrived, thanks!", "created_at": "2026-05-03T08:00:00Z"})
    line = {"type": "message", "conversation": "zd-1", "direction": "outbound", "author": "ann@acme.example",
            "text": "Glad to hear it.", "created_at": "2026-05-03T09:00:00Z"}  # fmt: skip
    report = import_file(db, write_jsonl(tmp_path / "b.jsonl", [later, line]))
    assert report.error_count == 0
    assert report.counts["message.created"] == 2 and report.counts["message.existing"] == 3
    with db.read() as s:
        conv = s.scalar(select(Conversation).where(Conversation.source_ref == "zd-1"))
        assert conv.message_count == 5
        assert conv.last_message_at == conv.updated_at == datetime(2026, 5, 3, 9, 0, tzinfo=UTC)
        assert conv.last_inbound_at == datetime(2026, 5, 3, 8, 0, tzinfo=UTC)


def test_a_customer_is_matched_by_any_identity_and_created_when_unknown(db, tmp_path):
    records = [
        *DIRECTORY,
        conversation("sms-1", customer="phone:+442079460000", inbox=None, channel="sms", messages=[
            {"text": "Running late?", "created_at": "2026-05-01T09:00:00Z"}]),
        conversation("new-1", customer="email:new@person.example", customer_name="New Person"),
    ]  # fmt: skip
    report = import_file(db, write_jsonl(tmp_path / "in.jsonl", records))
    assert report.error_count == 0 and report.counts["customer.created"] == 2  # Jo, then the new person
    with db.read() as s:
        by_ref = dict(s.execute(select(Conversation.source_ref, Conversation.customer_id)).all())
        jo = s.scalar(select(Customer.id).where(Customer.name == "Jo Jones"))
        assert by_ref["sms-1"] == jo and by_ref["new-1"] != jo
        assert s.scalar(select(Customer.name).where(Customer.id == by_ref["new-1"])) == "New Person"
        sms = s.scalar(select(Conversation).where(Conversation.source_ref == "sms-1"))
        assert sms.channel == "sms" and sms.status == "solved"


def test_existing_agents_teams_and_inboxes_are_used_by_email_and_name(db, world):
    record = conversation("w-1", inbox="Support email", team="Support", assignee="ALEX@example.com")
    for msg in record["messages"][1:]:
        msg["author"] = "alex@example.com"
    report = import_records(db, [{"type": "team", "name": "Support"}, record])
    assert report.error_count == 0 and report.counts["team.existing"] == 1
    with db.read() as s:
        conv = s.scalar(select(Conversation).where(Conversation.source_ref == "w-1"))
        assert (conv.inbox_id, conv.team_id, conv.assignee_id) == (world.email_inbox.id, world.team.id, world.agent.id)


def test_bad_lines_are_reported_by_number_and_nothing_else_is_lost(db, tmp_path):
    good = conversation("ok-1")
    half = conversation("half-1")
    half["messages"][1]["direction"] = "sideways"
    records = [
        *DIRECTORY,  # lines 1-5
        "{not json",  # 6
        {"type": "ticket", "ref": "x"},  # 7
        conversation("bad-status", status="done"),  # 8
        conversation("bad-inbox", inbox="Nope"),  # 9
        conversation(
            "bad-author",
            messages=[
                {"direction": "outbound", "author": "who@x.example", "text": "hi", "created_at": "2026-05-01T09:00:00Z"}
            ],
        ),  # 10  # fmt: skip
        half,  # 11
        {
            "type": "conversation",
            "ref": "no-time",
            "customer": "email:jo@jones.example",
            "inbox": "Billing email",
            "messages": [{"text": "hi", "created_at": "yesterday"}],
        },  # 12  # fmt: skip
        good,  # 13
    ]
    report = import_file(db, write_jsonl(tmp_path / "in.jsonl", records))
    errors: dict[int, str] = {}
    for line, message in report.errors:
        errors[line] = errors.get(line, "") + message
    assert sorted(errors) == [6, 7, 8, 9, 10, 11, 12]
    assert "not valid JSON" in errors[6] and "'ticket'" in errors[7]
    assert "status: 'done' is not one of" in errors[8] and "no inbox named 'Nope'" in errors[9]
    assert "who@x.example" in errors[10] and "messages[1].direction: 'sideways'" in errors[11]
    assert "created_at: 'yesterday' is not an ISO 8601 timestamp" in errors[12]
    with db.read() as s:
        refs = set(s.scalars(select(Conversation.source_ref)))
        half_count = s.scalar(select(Conversation.message_count).where(Conversation.source_ref == "half-1"))
    assert refs == {"ok-1", "half-1"} and half_count == 2  # only the bad message of half-1 is left out


def test_too_many_bad_lines_stop_the_import(db, tmp_path):
    report = import_file(db, write_jsonl(tmp_path / "in.jsonl", ["{"] * 5 + [conversation("late")]), max_errors=3)
    assert report.aborted is not None and "--max-errors" in report.aborted and report.error_count == 4
    assert count(db, "conversations") == 0
