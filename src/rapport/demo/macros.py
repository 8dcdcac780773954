"""The demo's macros: fifteen canned replies a help desk uses every day, shared, per team and personal, written for
the demo's shop (orders, billing, accounts), each with the field changes that usually go with it."""

from __future__ import annotations

from sqlalchemy import select

from rapport.db.session import Database
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.macros import service as macros
from rapport.models import Agent, Macro, Team
from rapport.models.enums import Role

SIGN = "\n\nBest wishes,\n{{ agent.first_name }}"

# name, team (None: everyone), body, note, changes
MACROS: tuple[tuple[str, str | None, str, str, dict], ...] = (
    (
        "Thanks, anything else?",
        None,
        "Hi {{ customer.first_name | there }},\n\nGlad that is sorted. If anything else comes up, just reply to this "
        "message and it comes straight back to us." + SIGN,
        "",
        {"status": "solved"},
    ),
    (
        "Need more details",
        None,
        "Hi {{ customer.first_name | there }},\n\nThanks for getting in touch. So I can look into this properly, could "
        "you tell me your order number and, if you can, add a photo or a screenshot of what you see?" + SIGN,
        "",
        {"status": "pending", "add_tags": ["needs-info"]},
    ),
    (
        "Passing to a colleague",
        None,
        "Hi {{ customer.first_name | there }},\n\nI have passed your question to a colleague who knows this area best; "
        "they will reply here in conversation #{{ conversation.number }}." + SIGN,
        "Handed over: please pick up from the customer's last message.",
        {"status": "open"},
    ),
    (
        "Chasing a third party",
        None,
        "Hi {{ customer.first_name | there }},\n\nWe are waiting to hear back from our partner about this. I will "
        "update you as soon as they answer, and within two working days at the latest." + SIGN,
        "",
        {"status": "on_hold", "add_tags": ["third-party"]},
    ),
    (
        "No reply from customer",
        None,
        "Hi {{ customer.first_name | there }},\n\nWe have not heard back for a while, so I am closing this for now. If "
        "you still need help, reply to this message and it opens again." + SIGN,
        "",
        {"status": "solved"},
    ),
    (
        "Spam or misdirected",
        None,
        "",
        "Not a customer matter: closed without a reply.",
        {"status": "solved", "add_tags": ["spam"], "priority": "low", "no_survey": True},
    ),
    (
        "Refund issued",
        "Billing & Payments",
        "Hi {{ customer.first_name | there }},\n\nI have issued your refund today. Depending on your bank it shows on "
        "your statement within 3 to 5 working days." + SIGN,
        "Refund issued: check the amount matches the order.",
        {"status": "solved", "add_tags": ["refund"]},
    ),
    (
        "Invoice copy sent",
        "Billing & Payments",
        "Hi {{ customer.first_name | there }},\n\nA copy of your invoice is on its way to "
        "{{ customer.email | your email address }}. You can also download every invoice from your account page." + SIGN,
        "",
        {"status": "solved"},
    ),
    (
        "Payment failed: how to retry",
        "Billing & Payments",
        "Hi {{ customer.first_name | there }},\n\nYour payment did not go through, which usually means the bank asked "
        "for an extra check. Please try again from your basket; if it fails a second time, reply here and we will take "
        "the payment with you." + SIGN,
        "",
        {"status": "pending", "add_tags": ["payment-failed"]},
    ),
    (
        "Where is my parcel",
        "Orders & Delivery",
        "Hi {{ customer.first_name | there }},\n\nI have checked with the carrier: your parcel is on its way. Most "
        "parcels arrive within two working days of this update; I will keep this open until it does." + SIGN,
        "",
        {"status": "pending", "add_tags": ["where-is-my-order"]},
    ),
    (
        "Damaged item: replacement",
        "Orders & Delivery",
        "Hi {{ customer.first_name | there }},\n\nI am sorry your order arrived damaged. A replacement leaves our "
        "warehouse today, and there is no need to send the damaged item back." + SIGN,
        "Replacement ordered; log the carrier damage claim.",
        {"status": "solved", "add_tags": ["damaged", "replacement"], "priority": "high"},
    ),
    (
        "Change delivery address",
        "Orders & Delivery",
        "Hi {{ customer.first_name | there }},\n\nI have updated the delivery address on your order. If it has already "
        "left us, the carrier will deliver to the new address on the next attempt." + SIGN,
        "",
        {"status": "solved"},
    ),
    (
        "Password reset steps",
        "Customer Care",
        'Hi {{ customer.first_name | there }},\n\nTo set a new password, choose "Forgot password" on the sign-in '
        "page and follow the link we email you; it works for an hour." + SIGN,
        "",
        {"status": "pending"},
    ),
    (
        "Complaint: acknowledge and escalate",
        "Customer Care",
        "Hi {{ customer.first_name | there }},\n\nThank you for telling us, and I am sorry we let you down. A team "
        "lead is looking at this now and will contact you personally." + SIGN,
        "Complaint: supervisor to follow up within one working day.",
        {"status": "open", "priority": "high", "add_tags": ["complaint"]},
    ),
)
PERSONAL = (
    "My follow-up",
    "Hi {{ customer.first_name | there }},\n\nJust checking in on #{{ conversation.number }}: did my last message "
    "answer everything?" + SIGN,
    "",
    {"status": "pending", "assign_to_me": True},
)  # fmt: skip


def ensure_macros(db: Database, owner_email: str) -> bool:
    """Add the demo's macros unless there are macros already (one personal to `owner_email`); True when added."""
    with db.write() as s:
        if s.scalar(select(Macro.id).limit(1)) is not None:
            return False
        teams = dict(s.execute(select(Team.name, Team.id)).all())
        for name, team, body, note, changes in MACROS:
            team_id = teams.get(team) if team else None
            visibility = "team" if team_id else "shared"
            macros.create(
                s, SYSTEM, name=name, visibility=visibility, team_id=team_id, body=body, note=note, changes=changes
            )
        owner = s.scalar(select(Agent).where(Agent.email == owner_email))
        if owner is not None:
            actor = Actor(kind="agent", id=owner.id, role=Role(owner.role), name=owner.name)
            name, body, note, changes = PERSONAL
            macros.create(s, actor, name=name, visibility="personal", body=body, note=note, changes=changes)
    return True
