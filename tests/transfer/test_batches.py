"""Many small batches through the writer pipeline, and plans that went stale before they were applied."""

import pytest
from sqlalchemy import select

from rapport.customers import service as customers
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, Customer
from rapport.transfer import conversations, records
from rapport.transfer.directory import Directory
from rapport.transfer.importer import import_records
from rapport.transfer.store import Store
from tests.transfer.helpers import DIRECTORY, check_event_payloads, conversation, count


@pytest.mark.parametrize("writers", [0, 1, 3])
def test_small_batches_share_new_customers_and_split_conversations(db, writers):
    people = [f"email:p{i % 7}@people.example" for i in range(40)]
    items = list(DIRECTORY)
    for i, person in enumerate(people):
        items.append(conversation(f"c-{i}", customer=person, customer_name=f"P {i % 7}"))
    # The same conversation again, far from its first part: one conversation, not two.
    items.append({"type": "message", "conversation": "c-3", "text": "Me again", "created_at": "2026-06-01T10:00:00Z"})
    report = import_records(db, items, batch_messages=7, writers=writers)
    assert report.error_count == 0, report.errors
    assert count(db, "customers") == 1 + 7 and count(db, "conversations") == 40 and count(db, "messages") == 121
    assert check_event_payloads(db) == report.counts["event.created"] + 4
    with db.read() as s:
        assert s.scalar(select(Conversation.message_count).where(Conversation.source_ref == "c-3")) == 4
        names = set(s.scalars(select(Customer.name)))
    assert names == {"Jo Jones", *(f"P {i}" for i in range(7))}


def test_a_plan_whose_ids_were_taken_meanwhile_is_stale_and_written_safely(db):
    import_records(db, DIRECTORY)
    spec, _ = records.conversation(conversation("late-1", customer="email:late@x.example"), 1, 10_000)
    with db.read() as s:
        directory = Directory.load(s)
    with Store.planner(db.engine) as planner:
        planned = conversations.plan(planner, directory, [spec])
    with db.write() as s:  # another writer gets in first
        customers.create(s, SYSTEM, name="Someone else", identities=[("email", "else@x.example")])
    if db.is_sqlite:
        with pytest.raises(conversations.Stale), db.write() as s:
            conversations.apply(s, planned)
    with db.write() as s:
        outcome = conversations.write(s, directory, [spec])
    assert outcome.counts["conversation.created"] == 1 and count(db, "customers") == 3
