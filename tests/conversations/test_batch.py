"""Receiving a batch: items share statements but keep their own outcomes."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from rapport.conversations.inbound import Inbound, Received, receive_batch
from rapport.kernel.permissions import SYSTEM
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import Conversation, Customer, Event, Message


def _msg(world, address="new@customer.test", **kw) -> Inbound:
    return Inbound(inbox_id=world.email_inbox.id, sender_kind="email", sender_address=address, text="hi", **kw)


def test_one_batch_threads_repeats_and_isolates_problems(db, world):
    with db.write() as s:
        outcomes = receive_batch(
            s,
            [
                (SYSTEM, _msg(world, external_id="a")),
                (SYSTEM, _msg(world, "NEW@customer.test", external_id="b")),  # same new customer, same conversation
                (SYSTEM, _msg(world, external_id="a")),  # repeat inside the batch
                (SYSTEM, _msg(world, "bad address")),
                (SYSTEM, Inbound(inbox_id=999, sender_kind="email", sender_address="x@customer.test", text="x")),
                (SYSTEM, _msg(world, "other@customer.test", conversation_id=123456)),
                (SYSTEM, _msg(world, "third@customer.test", external_id="c")),
            ],
        )
    a, b, repeat, bad, no_inbox, no_conv, third = outcomes
    assert isinstance(a, Received) and a.new_conversation
    assert isinstance(b, Received) and b.conversation_id == a.conversation_id and not b.new_conversation
    assert repeat.duplicate and repeat.message_id == a.message_id
    assert isinstance(bad, Invalid) and isinstance(no_inbox, NotFound) and isinstance(no_conv, NotFound)
    assert isinstance(third, Received) and third.customer_id != a.customer_id
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 3
        assert s.scalar(select(func.count()).select_from(Customer)) == 2
        assert s.get(Conversation, a.conversation_id).message_count == 2
        names = list(s.scalars(select(Event.name).where(Event.conversation_id == a.conversation_id).order_by(Event.id)))
        assert names == ["conversation.created", "message.received", "message.received"]


def test_another_customers_conversation_in_a_batch_is_a_conflict_for_that_item_only(db, world):
    with db.write() as s:
        first = receive_batch(s, [(SYSTEM, _msg(world, "owner@customer.test"))])[0]
    with db.write() as s:
        intruder, owner = receive_batch(
            s,
            [
                (SYSTEM, _msg(world, "intruder@customer.test", conversation_id=first.conversation_id)),
                (SYSTEM, _msg(world, "owner@customer.test", conversation_id=first.conversation_id)),
            ],
        )
    assert isinstance(intruder, Conflict)
    assert isinstance(owner, Received) and owner.conversation_id == first.conversation_id
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1  # the intruder was never created


def test_idempotency_keys_within_one_batch(db, world):
    key = ("token:1", "k", "digest")
    with db.write() as s:
        one, again, clash = receive_batch(
            s,
            [
                (SYSTEM, _msg(world, idempotency=key)),
                (SYSTEM, _msg(world, idempotency=key)),
                (SYSTEM, _msg(world, idempotency=("token:1", "k", "other digest"))),
            ],
        )
    assert again.replayed and again.message_id == one.message_id and not again.duplicate
    assert isinstance(clash, Invalid)


def test_a_conversation_created_by_a_batch_is_written_as_the_batch_leaves_it(db, world):
    first, last = datetime(2026, 11, 20, 9, 0, tzinfo=UTC), datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
    with db.write() as s:
        a, b = receive_batch(
            s,
            [
                (SYSTEM, _msg(world, external_id="early", received_at=first)),
                (SYSTEM, _msg(world, external_id="late", received_at=last)),
            ],
        )
    assert a.conversation_id == b.conversation_id and a.new_conversation
    with db.read() as s:
        conv = s.get(Conversation, a.conversation_id)
        assert (conv.status, conv.message_count, conv.reopen_count) == ("new", 2, 0)
        assert conv.last_message_at == conv.last_inbound_at == conv.updated_at == last
        assert conv.created_at == first  # the message that opened it
