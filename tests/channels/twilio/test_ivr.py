"""The IVR: defined by admins as validated data, rendered as TwiML, 0 or "agent" always reaching a person."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import Conversation, Event, Message
from tests.channels.twilio.conftest import PUBLIC
from tests.channels.twilio.voice_helpers import said, voice
from tests.conftest import World

IVR = {
    "greeting": "Welcome to Acme.",
    "menu": {
        "prompt": "What is your call about?",
        "options": [
            {"digit": "1", "label": "orders", "keywords": ["delivery"], "action": "queue", "say": "Orders it is."},
            {
                "digit": "2",
                "label": "billing",
                "action": "menu",
                "menu": {
                    "prompt": "Billing.",
                    "options": [
                        {"digit": "1", "label": "invoices", "action": "message", "say": "Invoices are online."},
                        {"digit": "2", "label": "refunds", "action": "queue"},
                    ],
                },
            },
            {"digit": "3", "label": "opening hours", "action": "message", "say": "We are open 9 to 5."},
        ],
    },
}


def set_ivr(client, world, inbox_id, ivr=IVR, token=None):
    return client.put(f"/api/v1/inboxes/{inbox_id}/ivr", json=ivr, headers=World.auth(token or world.admin_token))


def test_admin_sets_and_reads_the_ivr_and_others_may_not(client, world, phone_inbox):
    r = set_ivr(client, world, phone_inbox.id)
    assert r.status_code == 200, r.text
    got = client.get(f"/api/v1/inboxes/{phone_inbox.id}/ivr", headers=World.auth(world.admin_token))
    assert got.status_code == 200 and got.json()["menu"]["options"][1]["menu"]["prompt"] == "Billing."
    assert set_ivr(client, world, phone_inbox.id, token=world.agent_token).status_code == 403
    assert client.get(f"/api/v1/inboxes/{phone_inbox.id}/ivr", headers=World.auth(world.sup_token)).status_code == 403
    # Only phone inboxes have an IVR.
    assert set_ivr(client, world, world.email_inbox.id).status_code == 409


def test_invalid_menus_are_rejected(client, world, phone_inbox):
    three_levels = {
        "menu": {
            "prompt": "Top",
            "options": [
                {
                    "digit": "1",
                    "label": "a",
                    "action": "menu",
                    "menu": {
                        "prompt": "Second",
                        "options": [
                            {
                                "digit": "1",
                                "label": "b",
                                "action": "menu",
                                "menu": {"prompt": "Third", "options": []},
                            }
                        ],
                    },
                }
            ],
        }
    }
    r = set_ivr(client, world, phone_inbox.id, three_levels)
    assert r.status_code == 422 and "at most two levels" in r.json()["detail"]
    duplicate = {
        "menu": {
            "prompt": "Top",
            "options": [
                {"digit": "1", "label": "a", "action": "queue"},
                {"digit": "1", "label": "b", "action": "queue"},
            ],
        }
    }
    r = set_ivr(client, world, phone_inbox.id, duplicate)
    assert r.status_code == 422 and "digit 1 is used by more than one option" in r.json()["detail"]
    zero = {"menu": {"prompt": "Top", "options": [{"digit": "0", "label": "x", "action": "queue"}]}}
    assert set_ivr(client, world, phone_inbox.id, zero).status_code == 422  # 0 always means a person
    no_submenu = {"menu": {"prompt": "Top", "options": [{"digit": "1", "label": "x", "action": "menu"}]}}
    assert set_ivr(client, world, phone_inbox.id, no_submenu).status_code == 422
    # Nothing was stored: the inbox still has the default IVR.
    got = client.get(f"/api/v1/inboxes/{phone_inbox.id}/ivr", headers=World.auth(world.admin_token)).json()
    assert got["menu"]["options"] == []


def test_incoming_call_renders_the_menu_as_twiml(client, world, phone_inbox):
    set_ivr(client, world, phone_inbox.id)
    root = voice(client, phone_inbox.id, "incoming", CallStatus="ringing")
    gather = root.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf speech" and gather.get("numDigits") == "1"
    assert gather.get("action") == f"{PUBLIC}/channels/twilio/voice/{phone_inbox.id}/menu"
    assert "agent" in gather.get("hints")
    text = said(gather)
    assert text.startswith("Welcome to Acme.")
    for part in ("For orders, press 1.", "For billing, press 2.", "press 0 or say agent"):
        assert part in text
    # No answer: the call is not dropped, it goes to a person.
    assert root.find("Redirect").text == f"{PUBLIC}/channels/twilio/voice/{phone_inbox.id}/timeout"


def test_submenu_message_and_a_wrong_digit(client, world, phone_inbox):
    set_ivr(client, world, phone_inbox.id)
    voice(client, phone_inbox.id, "incoming")
    sub = voice(client, phone_inbox.id, "menu", Digits="2")
    assert sub.find("Gather").get("action").endswith("/menu?path=2")
    assert "Billing." in said(sub) and "For refunds, press 2." in said(sub)
    info = voice(client, phone_inbox.id, "menu", "?path=2", Digits="1")
    assert said(info) == "Invoices are online." and info.find("Hangup") is not None
    wrong = voice(client, phone_inbox.id, "menu", Digits="7")
    assert said(wrong).startswith("Sorry, that is not one of the options.")
    assert wrong.find("Gather") is not None


def _queued(db, via: str):
    with db.read() as s:
        conv = s.scalar(select(Conversation))
        requested = s.scalar(select(Event).where(Event.name == "conversation.human_requested"))
        names = list(s.scalars(select(Event.name).where(Event.conversation_id == conv.id).order_by(Event.id)))
        return conv, requested, names


def test_zero_reaches_the_human_queue_with_the_wait_announced(client, db, world, phone_inbox):
    set_ivr(client, world, phone_inbox.id)
    voice(client, phone_inbox.id, "incoming")
    root = voice(client, phone_inbox.id, "menu", "?path=2", Digits="0")  # 0 works at every level
    enqueue = root.find("Enqueue")
    assert enqueue.text == f"rapport-inbox-{phone_inbox.id}"
    assert enqueue.get("waitUrl") == f"{PUBLIC}/channels/twilio/voice/{phone_inbox.id}/wait"
    assert enqueue.get("action") == f"{PUBLIC}/channels/twilio/voice/{phone_inbox.id}/queue-result"
    # Nobody is online in the test organisation, and the caller is told so before holding.
    assert "No one is available right now." in said(root) and "press 1" in said(root)
    conv, requested, names = _queued(db, "ivr_0")
    assert conv.human_requested_at is not None and conv.channel == "phone"
    assert requested.payload == {"channel": "phone", "via": "ivr_0"}
    assert names == ["conversation.created", "message.received", "conversation.human_requested", "call.queued"]


def test_saying_agent_reaches_the_queue_and_the_wait_is_estimated(client, db, world, phone_inbox):
    with db.write() as s:
        from rapport.models import Agent

        s.get(Agent, world.agent.id).availability = "online"
    voice(client, phone_inbox.id, "incoming")  # the default IVR: no options, 0 or "agent" still work
    root = voice(client, phone_inbox.id, "menu", SpeechResult="I want to talk to an Agent please.")
    assert root.find("Enqueue") is not None
    assert "The expected wait is about 3 minutes." in said(root)  # RAPPORT_EXPECTED_WAIT_DEFAULT_SECONDS
    conv, requested, names = _queued(db, "ivr_speech")
    assert requested.payload["via"] == "ivr_speech" and "call.queued" in names


def test_spoken_option_and_queue_option(client, db, world, phone_inbox):
    set_ivr(client, world, phone_inbox.id)
    voice(client, phone_inbox.id, "incoming")
    root = voice(client, phone_inbox.id, "menu", SpeechResult="it's about a delivery")
    assert said(root).startswith("Orders it is.") and root.find("Enqueue") is not None
    with db.read() as s:
        assert s.scalar(select(Event.payload).where(Event.name == "conversation.human_requested"))["via"] == "ivr_menu"
        assert s.scalar(select(Message)).meta["call"]["status"] == "queued"
