"""A call's life on the customer's timeline: queued, answered, abandoned, a callback instead of holding."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.models import Callback, Conversation, Customer, Event, Message
from tests.channels.twilio.conftest import CALLER, post
from tests.channels.twilio.test_sms import sms
from tests.channels.twilio.voice_helpers import CALL, call_params, said, voice
from tests.conftest import World

REC = "https://api.twilio.com/2010-04-01/Accounts/ACa1/Recordings/RE" + "77" * 16


def call_events(db) -> list[tuple[str, dict]]:
    with db.read() as s:
        rows = s.execute(select(Event.name, Event.payload).where(Event.name.like("call.%")).order_by(Event.id))
        return [(n, p) for n, p in rows]


def the_call(db) -> Message:
    with db.read() as s:
        return s.scalar(select(Message).where(Message.external_id == CALL))


def queue_call(client, inbox_id, frozen_clock):
    voice(client, inbox_id, "incoming", CallStatus="ringing")
    frozen_clock[0] += timedelta(seconds=20)  # 20 s in the menu
    voice(client, inbox_id, "menu", Digits="0")


def test_queued_answered_completed_with_wait_talk_and_recording(client, db, phone_inbox, frozen_clock):
    queue_call(client, phone_inbox.id, frozen_clock)
    frozen_clock[0] += timedelta(seconds=42)
    voice(client, phone_inbox.id, "answered", QueueTime="42", QueueSid="QU1", DequeingCallSid="CA2")
    voice(client, phone_inbox.id, "queue-result", QueueResult="bridged", QueueTime="42", QueueSid="QU1")
    frozen_clock[0] += timedelta(seconds=180)
    voice(client, phone_inbox.id, "status", CallStatus="completed", CallDuration="242")
    voice(client, phone_inbox.id, "status", CallStatus="completed", CallDuration="242")  # replayed
    voice(client, phone_inbox.id, "recording", RecordingUrl=REC, RecordingStatus="completed", RecordingSid="RE1")
    voice(client, phone_inbox.id, "recording", RecordingUrl=REC, RecordingStatus="completed", RecordingSid="RE1")
    events = call_events(db)
    assert [n for n, _ in events] == ["call.queued", "call.answered", "call.completed", "call.recorded"]
    answered, completed, recorded = events[1][1], events[2][1], events[3][1]
    assert answered["wait_seconds"] == 42 and answered["call_sid"] == CALL
    assert completed["status"] == "answered" and completed["wait_seconds"] == 42
    assert completed["talk_seconds"] == 242 - 20 - 42
    assert recorded["recording_url"] == REC
    m = the_call(db)
    assert m.channel == "phone" and m.direction == "inbound"
    assert m.body_text == (
        f"Phone call from {CALLER}: answered after 42 s in the queue. Talked 180 s. "
        f"Call ended (242 s in all). Recording: {REC}"
    )
    with db.read() as s:
        timeline = list(s.scalars(select(Event.name).where(Event.customer_id == m.customer_id).order_by(Event.id)))
    assert "call.completed" in timeline and "message.received" in timeline


def test_recording_in_the_status_callback_is_on_the_completed_event(client, db, phone_inbox, frozen_clock):
    queue_call(client, phone_inbox.id, frozen_clock)
    voice(client, phone_inbox.id, "queue-result", QueueResult="bridged", QueueTime="5")
    voice(client, phone_inbox.id, "status", CallStatus="completed", CallDuration="100", RecordingUrl=REC)
    completed = call_events(db)[-1][1]
    assert completed["recording_url"] == REC and completed["talk_seconds"] == 100 - 20 - 5


def test_queued_then_abandoned(client, db, phone_inbox, frozen_clock):
    queue_call(client, phone_inbox.id, frozen_clock)
    frozen_clock[0] += timedelta(seconds=30)
    root = voice(client, phone_inbox.id, "queue-result", QueueResult="hangup", QueueTime="30")
    assert root.find("Hangup") is not None
    voice(client, phone_inbox.id, "queue-result", QueueResult="hangup", QueueTime="30")  # replayed
    voice(client, phone_inbox.id, "status", CallStatus="completed", CallDuration="50")
    events = call_events(db)
    assert [n for n, _ in events] == ["call.queued", "call.abandoned", "call.completed"]
    assert events[1][1]["wait_seconds"] == 30 and events[1][1]["queue_result"] == "hangup"
    assert events[2][1]["status"] == "abandoned" and events[2][1]["talk_seconds"] is None
    assert the_call(db).body_text.startswith(f"Phone call from {CALLER}: hung up after 30 s in the queue.")


def test_hanging_up_before_the_queue_reports_is_abandoned_too(client, db, phone_inbox, frozen_clock):
    queue_call(client, phone_inbox.id, frozen_clock)
    frozen_clock[0] += timedelta(seconds=12)
    voice(client, phone_inbox.id, "status", CallStatus="completed", CallDuration="32")
    events = call_events(db)
    assert [n for n, _ in events] == ["call.queued", "call.abandoned", "call.completed"]
    assert events[1][1]["wait_seconds"] == 12


def test_callback_instead_of_holding(client, db, world, phone_inbox, frozen_clock):
    queue_call(client, phone_inbox.id, frozen_clock)
    wait = voice(client, phone_inbox.id, "wait", QueuePosition="1", QueueTime="3", CurrentQueueSize="1")
    gather = wait.find("Gather")
    assert gather.get("action").endswith(f"/voice/{phone_inbox.id}/wait-key") and "press 1" in said(wait)
    frozen_clock[0] += timedelta(seconds=15)
    other = voice(client, phone_inbox.id, "wait-key", Digits="5")
    assert other.find("Leave") is None
    root = voice(client, phone_inbox.id, "wait-key", Digits="1")
    assert root.find("Leave") is not None and "call you back" in said(root)
    voice(client, phone_inbox.id, "wait-key", Digits="1")  # replayed: still one callback
    voice(client, phone_inbox.id, "queue-result", QueueResult="leave", QueueTime="15")
    voice(client, phone_inbox.id, "status", CallStatus="completed", CallDuration="40")
    with db.read() as s:
        callbacks = list(s.scalars(select(Callback)))
        conv = s.scalar(select(Conversation))
    assert len(callbacks) == 1
    cb = callbacks[0]
    assert cb.state == "due" and cb.phone == CALLER and cb.conversation_id == conv.id and cb.call_sid == CALL
    assert cb.due_at == frozen_clock[0]  # nobody online: due now
    assert conv.human_requested_at is not None  # still waiting for a person
    names = [n for n, _ in call_events(db)]
    assert names == ["call.queued", "call.callback_requested", "call.completed"]
    assert call_events(db)[1][1]["callback_id"] == cb.id and call_events(db)[1][1]["wait_seconds"] == 15
    # Visible in the API, earliest due first; an agent marks it done.
    h = World.auth(world.agent_token)
    listed = client.get("/api/v1/callbacks?due_only=true", headers=h).json()
    assert [c["id"] for c in listed] == [cb.id] and listed[0]["conversation_id"] == conv.id
    done = client.post(f"/api/v1/callbacks/{cb.id}/done", json={}, headers=h)
    assert done.status_code == 200 and done.json()["state"] == "done" and done.json()["done_by_id"] == world.agent.id
    assert client.get("/api/v1/callbacks", headers=h).json() == []
    assert client.post(f"/api/v1/callbacks/{cb.id}/done", json={}, headers=h).status_code == 409
    with db.read() as s:
        assert s.scalar(select(Event.payload).where(Event.name == "callback.completed")) == {
            "callback_id": cb.id,
            "state": "done",
        }


def test_a_callback_due_later_is_not_listed_as_due_yet(client, db, world, phone_inbox, frozen_clock):
    with db.write() as s:
        from rapport.models import Agent

        s.get(Agent, world.agent.id).availability = "online"
    queue_call(client, phone_inbox.id, frozen_clock)
    voice(client, phone_inbox.id, "wait-key", Digits="1")
    h = World.auth(world.agent_token)
    assert client.get("/api/v1/callbacks?due_only=true", headers=h).json() == []
    assert len(client.get("/api/v1/callbacks", headers=h).json()) == 1
    frozen_clock[0] += timedelta(minutes=3)  # the wait announced on joining (RAPPORT_EXPECTED_WAIT_DEFAULT_SECONDS)
    assert len(client.get("/api/v1/callbacks?due_only=true", headers=h).json()) == 1


def test_replayed_incoming_call_is_one_message_and_forged_ones_are_refused(client, db, phone_inbox):
    voice(client, phone_inbox.id, "incoming")
    voice(client, phone_inbox.id, "incoming")
    path = f"/channels/twilio/voice/{phone_inbox.id}/incoming"
    forged = post(client, path, call_params(CallSid="CA" + "99" * 16), signature="Zm9yZ2Vk")
    assert forged.status_code == 403
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 1


def test_sms_and_calls_from_one_number_are_one_customer(client, db, sms_inbox, phone_inbox):
    assert post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", sms(sms_inbox.id)).status_code == 200
    voice(client, phone_inbox.id, "incoming", From="+1 (415) 555-0123")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1
        channels = sorted(s.scalars(select(Message.channel)))
        customers = set(s.scalars(select(Message.customer_id)))
    assert channels == ["phone", "sms"] and len(customers) == 1


def test_a_withheld_number_is_answered_but_cannot_ask_for_a_callback(client, db, phone_inbox, frozen_clock):
    voice(client, phone_inbox.id, "incoming", From="anonymous")
    voice(client, phone_inbox.id, "menu", Digits="0", From="anonymous")
    root = voice(client, phone_inbox.id, "wait-key", Digits="1", From="anonymous")
    assert root.find("Leave") is None and "withheld" in said(root)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Callback)) == 0
        assert s.scalar(select(Message)).meta["call"]["status"] == "queued"


def test_a_reply_to_a_call_goes_by_sms_to_the_callers_number(client, db, world, phone_inbox, fake_twilio, frozen_clock):
    """A call cannot be answered in writing on the call: the default reply channel is SMS, from the phone number."""
    from rapport.conversations import service
    from rapport.kernel.permissions import Actor
    from rapport.worker.runner import load_handlers, run_due

    load_handlers()
    queue_call(client, phone_inbox.id, frozen_clock)
    conv_id = the_call(db).conversation_id
    r = client.get(f"/api/v1/conversations/{conv_id}/reply-options", headers=World.auth(world.agent_token))
    assert r.json()["default"] == "sms"
    with db.write() as s:
        agent = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)
        reply = service.reply(s, agent, conv_id, text="Sorry we missed you; we will call back at 3pm.")
        assert reply.channel == "sms"
    run_due(db)
    assert [m["form"]["To"] for m in fake_twilio.messages] == [[CALLER]]
