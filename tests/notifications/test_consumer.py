"""Events become notifications: each kind once, never for one's own action, replies collapse, pushes after commit."""

from __future__ import annotations

from sqlalchemy import event, select

from rapport.events import bus
from rapport.events.outbox import record
from rapport.models import Event, Notification
from rapport.realtime.pushes import build_pushes
from rapport.workspace.conversations import page
from tests.conftest import inbound
from tests.notifications.conftest import actor, assign, customer_writes, rows


def test_an_assignment_notifies_the_new_assignee_once(db, world, run):
    cid = customer_writes(db, world, "Where is my parcel?")
    assign(db, actor(db, world.supervisor.id), cid, world.agent.id)
    run()
    run()  # nothing new: nothing doubled
    (got,) = rows(db)
    assert (got.agent_id, got.kind, got.conversation_id, got.count) == (world.agent.id, "assigned", cid, 1)
    assert (got.actor_kind, got.actor_id, got.actor_name) == ("agent", world.supervisor.id, "Sam Super")
    assert got.summary == f"Sam Super assigned you #{cid} “Parcel”" and got.read_at is None
    with db.read() as s:
        assigned = s.scalar(select(Event.id).where(Event.name == "conversation.assigned"))
        told = s.execute(select(Event.payload).where(Event.name == "notification.created")).scalars().all()
    assert got.event_id == assigned
    assert told == [{"agent_id": world.agent.id, "count": 1}]


def test_nobody_is_notified_of_their_own_action(db, world, run):
    alex = actor(db, world.agent.id)
    cid = customer_writes(db, world, "Hello")
    assign(db, alex, cid, world.agent.id)  # took it themselves
    with db.write() as s:
        note = page.write(s, alex, cid, mode="note", text="Noting for myself, @alex")
        record(s, "agent.mentioned", alex, conversation_id=cid, message_id=note.id, agent_id=world.agent.id)
    run()
    assert rows(db) == []
    with db.read() as s:
        assert s.scalar(select(Event.id).where(Event.name == "notification.created")) is None


def test_a_mention_notifies_the_agent_named(db, world, run):
    cid = customer_writes(db, world, "Refund please")
    with db.write() as s:
        page.write(s, actor(db, world.supervisor.id), cid, mode="note", text="@alex   could you\nlook at this refund?")
    run()
    (got,) = rows(db)
    assert (got.agent_id, got.kind, got.actor_name) == (world.agent.id, "mentioned", "Sam Super")
    assert got.summary == f"Sam Super mentioned you on #{cid} “Parcel”: “@alex could you look at this refund?”"


def test_a_customer_reply_notifies_the_assignee_and_unread_replies_collapse(db, world, run):
    cid = customer_writes(db, world, "First")
    assign(db, actor(db, world.agent.id), cid, world.agent.id)
    customer_writes(db, world, "Second")
    customer_writes(db, world, "Third " + "x" * 300)
    run()
    (got,) = rows(db)
    assert (got.agent_id, got.kind, got.count, got.actor_kind, got.actor_name) == (
        world.agent.id,
        "customer_replied",
        2,
        "customer",
        "Jo Customer",
    )
    assert got.summary.startswith(f"Jo Customer replied 2 times on #{cid} “Parcel”; latest: “Third xxx")
    assert got.summary.endswith("…”") and len(got.summary) < 250
    customer_writes(db, world, "Fourth")  # a later batch joins the same unread row
    run()
    (got,) = rows(db)
    assert got.count == 3 and got.summary.endswith("latest: “Fourth”")
    with db.write() as s:
        s.get(Notification, got.id).read_at = got.created_at
    customer_writes(db, world, "Fifth")  # once read, the next reply is news again
    run()
    assert [(n.count, n.summary.endswith("“Fifth”")) for n in rows(db)] == [(3, False), (1, True)]


def test_replies_to_unassigned_conversations_or_from_the_assignee_notify_nobody(client, db, world, run):
    customer_writes(db, world, "Nobody has this one")
    # An inbound message the assignee posted themselves through the API (with their token) is their own action.
    posted = inbound(client, world.agent_token, world.api_inbox.id, text="Logged by phone")
    assign(db, actor(db, world.agent.id), posted["conversation_id"], world.agent.id)
    inbound(
        client, world.agent_token, world.api_inbox.id, text="Logged again", conversation_id=posted["conversation_id"]
    )
    run()
    assert rows(db) == []


def test_a_reply_goes_to_whoever_had_the_conversation_when_it_came(db, world, run):
    sam = actor(db, world.supervisor.id)
    cid = customer_writes(db, world, "First")
    assign(db, sam, cid, world.agent.id)
    run()
    customer_writes(db, world, "While Alex has it")
    assign(db, sam, cid, world.agent2.id)  # same batch: the reply came before the handover
    run()
    got = [(n.agent_id, n.kind) for n in rows(db)]
    assert got == [
        (world.agent.id, "assigned"),
        (world.agent.id, "customer_replied"),
        (world.agent2.id, "assigned"),
    ]


def test_the_queries_do_not_grow_with_the_batch(db, world, run, engine):
    def statements_for(replies: int) -> int:
        for n in range(replies):
            cid = customer_writes(db, world, "Hi", address=f"c{replies}-{n}@customer.test")
            agent_id = (world.agent.id, world.agent2.id, world.supervisor.id)[n % 3]
            assign(db, actor(db, agent_id), cid, agent_id)
            customer_writes(db, world, "Anyone?", address=f"c{replies}-{n}@customer.test")
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731  (the statement text)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            run()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few, many = statements_for(3), statements_for(15)
    assert few == many
    assert len(rows(db)) == 18 and {n.agent_id for n in rows(db)} == {
        world.agent.id,
        world.agent2.id,
        world.supervisor.id,
    }


def test_the_push_reaches_only_the_agent_it_concerns_after_commit(db, world, run):
    cid = customer_writes(db, world, "Hello")
    published = []
    bus.subscribe(published.extend)
    try:
        assign(db, actor(db, world.supervisor.id), cid, world.agent2.id)
        published.clear()
        run()
    finally:
        bus.unsubscribe(published.extend)
    told = [e for e in published if e.name == "notification.created"]
    assert [e.payload for e in told] == [{"agent_id": world.agent2.id, "count": 1}]
    (push,) = build_pushes(db, told)
    assert push.topics == (f"agent:{world.agent2.id}",) and not push.public
