"""Export writes the import format: importing an export into an empty database rebuilds the same data."""

from datetime import UTC, datetime

import orjson
from sqlalchemy import select

from rapport.conversations import service as conversations
from rapport.demo import generate
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation
from rapport.transfer.export import export_jsonl
from rapport.transfer.importer import import_file
from tests.transfer.helpers import check_event_payloads, count, empty


def _lines(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_export_then_import_into_an_empty_database_round_trips(db, world, tmp_path):
    generate(db, conversations=120, customers=30, now=datetime(2026, 11, 2, 12, tzinfo=UTC))
    # Conversations the services wrote (no source ref, messages without external ids) travel too.
    with db.write() as s:
        conv = s.scalar(select(Conversation).where(Conversation.status == "open").limit(1))
        conversations.reply(s, SYSTEM, conv.id, text="Written by the service, not imported")
    first = export_jsonl(db, tmp_path / "one.jsonl")
    counts = {t: count(db, t) for t in ("customers", "identities", "conversations", "messages", "conversation_tags")}
    empty(db)
    report = import_file(db, tmp_path / "one.jsonl")
    assert report.error_count == 0, report.errors[:3]
    assert {t: count(db, t) for t in counts} == counts
    assert check_event_payloads(db) > counts["messages"]
    second = export_jsonl(db, tmp_path / "two.jsonl")
    assert first == second
    one, two = _lines(tmp_path / "one.jsonl"), _lines(tmp_path / "two.jsonl")
    # The same records, except that messages written by the services now carry the id import gave them.
    for record in one:
        for message in record.get("messages", []):
            message.pop("id", None)
    for record in two:
        for message in record.get("messages", []):
            message.pop("id", None)
    assert one == two
    again = import_file(db, tmp_path / "two.jsonl")
    assert again.counts["message.created"] == 0 and again.counts["conversation.created"] == 0
