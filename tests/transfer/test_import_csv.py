"""Bulk import of CSV: one row per message, grouped into conversations by conversation_ref."""

import pytest
from sqlalchemy import select

from rapport.models import Conversation, ConversationTag, Identity, Message
from rapport.transfer.importer import import_file, import_records
from rapport.transfer.readers import Source
from rapport.transfer.report import ImportFailed
from tests.transfer.helpers import DIRECTORY, count, search_messages

HEADER = "conversation_ref,customer_email,customer_phone,customer_name,inbox,channel,subject,status,tags,direction,author,body,created_at\n"  # noqa: E501
ROWS = (
    "c-1,sam@shop.example,+1 415 555 0100,Sam Shopper,Billing email,email,Double charge,solved,billing;refund,inbound,,"
    '"I was charged twice, please help",2026-05-01T09:00:00Z\n'
    "c-1,,,,,,,,,outbound,ann@acme.example,Refunded the second charge.,2026-05-01T11:00:00Z\n"
    "c-2,,+1 415 555 0100,,,sms,,pending,,inbound,,Is my parcel coming today?,2026-05-02T08:00:00Z\n"
    "c-2,,,,,sms,,,,outbound,ann@acme.example,Yes before 6pm.,2026-05-02T08:05:00Z\n"
)


def _directory(db):
    report = import_records(db, DIRECTORY)
    assert report.error_count == 0


def test_csv_rows_become_conversations_and_reimport_adds_nothing(db, tmp_path):
    _directory(db)
    path = tmp_path / "export.csv"
    path.write_text(HEADER + ROWS)
    report = import_file(db, path)
    assert report.error_count == 0, report.errors
    assert report.counts["conversation.created"] == 2 and report.counts["message.created"] == 4
    assert report.counts["customer.created"] == 1  # Sam, found again by phone for c-2
    with db.read() as s:
        convs = {c.source_ref: c for c in s.scalars(select(Conversation))}
        assert (convs["c-1"].status, convs["c-1"].subject, convs["c-1"].message_count) == ("solved", "Double charge", 2)
        assert (convs["c-2"].status, convs["c-2"].channel) == ("pending", "sms")
        assert convs["c-1"].customer_id == convs["c-2"].customer_id
        tags = s.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == convs["c-1"].id))
        assert sorted(tags) == ["billing", "refund"]
        kinds = s.scalars(select(Identity.kind).where(Identity.customer_id == convs["c-1"].customer_id)).all()
        assert sorted(kinds) == ["email", "phone"]
        assert s.scalar(select(Message.body_text).where(Message.direction == "outbound", Message.channel == "sms"))
    assert len(search_messages(db, "twice")) == 1
    again = import_file(db, path)
    assert again.counts["message.created"] == 0 and again.counts["message.existing"] == 4
    assert count(db, "messages") == 4


def test_a_bad_row_is_skipped_and_named_by_line(db, tmp_path):
    _directory(db)
    path = tmp_path / "export.csv"
    bad = "c-3,sam@shop.example,,,,email,,,,upward,,Hello?,2026-05-03T08:00:00Z\n"
    short = "c-4,sam@shop.example\n"
    path.write_text(HEADER + ROWS + bad + short)
    report = import_file(db, path)
    assert [line for line, _ in report.errors] == [6, 7]
    assert "direction: 'upward'" in report.errors[0][1] and "has 2 columns" in report.errors[1][1]
    assert report.counts["message.created"] == 4


def test_a_wrong_header_stops_before_anything_is_written(db, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("ref,body\nx,y\n")
    report = import_file(db, path)
    assert report.aborted is not None and "line 1: unknown CSV column 'ref'" in report.aborted
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(ImportFailed, match="pass --format jsonl or csv"):
        Source(tmp_path / "x.txt")
