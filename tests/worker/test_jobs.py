"""Jobs: auto-close after the quiet period, delivery, retries with backoff, idempotent handlers."""

from datetime import timedelta

from sqlalchemy import select

from rapport.conversations import tasks
from rapport.kernel import channels
from rapport.kernel.channels import Adapter
from rapport.models import Conversation, Job, Message
from rapport.worker.runner import run_due
from tests.conftest import World, inbound


def test_solved_conversation_closes_after_quiet_period(client, world, db, frozen_clock):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    client.patch(f"/api/v1/conversations/{cid}", json={"status": "solved"}, headers=World.auth(world.agent_token))
    assert run_due(db) == 0
    frozen_clock[0] += timedelta(days=4, seconds=1)
    assert run_due(db) == 1
    with db.read() as s:
        assert s.get(Conversation, cid).status == "closed"
        assert s.scalars(select(Job)).all() == []


def test_reopened_conversation_is_not_closed_by_the_old_job(client, world, db, frozen_clock):
    h = World.auth(world.agent_token)
    cid = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    client.patch(f"/api/v1/conversations/{cid}", json={"status": "solved"}, headers=h)
    client.patch(f"/api/v1/conversations/{cid}", json={"status": "open"}, headers=h)
    frozen_clock[0] += timedelta(days=5)
    run_due(db)
    with db.read() as s:
        assert s.get(Conversation, cid).status == "open"


def test_delivery_in_app_and_retry_without_sender(client, world, db, frozen_clock, monkeypatch):
    channels.load()
    # As if no email sender were connected.
    monkeypatch.setitem(channels.ADAPTERS, "email", Adapter("email"))
    h = World.auth(world.agent_token)
    api_conv = inbound(client, world.agent_token, world.api_inbox.id)["conversation_id"]
    mail_conv = inbound(client, world.agent_token, world.email_inbox.id, address="m@customer.test")["conversation_id"]
    api_msg = client.post(f"/api/v1/conversations/{api_conv}/replies", json={"text": "hi"}, headers=h).json()
    mail_msg = client.post(f"/api/v1/conversations/{mail_conv}/replies", json={"text": "hi"}, headers=h).json()
    assert run_due(db) == 2
    with db.read() as s:
        assert s.get(Message, api_msg["id"]).delivery_status == "delivered"
        assert s.get(Message, mail_msg["id"]).delivery_status == "queued"
        job = s.scalars(select(Job)).one()
        assert job.attempts == 1 and "no sender is connected for the 'email' channel" in job.last_error
        first_due = job.due_at
    assert run_due(db) == 0  # backing off
    sent = []
    monkeypatch.setitem(
        channels.ADAPTERS, "email", Adapter("email", sender=lambda session, message: sent.append(message.id))
    )
    frozen_clock[0] = first_due + timedelta(seconds=1)
    assert run_due(db) == 1
    assert sent == [mail_msg["id"]]
    with db.read() as s:
        assert s.get(Message, mail_msg["id"]).delivery_status == "sent"
    # Running the handler again (at-least-once delivery) changes nothing.
    tasks.deliver(db, {"message_id": mail_msg["id"]})
    assert sent == [mail_msg["id"]]
