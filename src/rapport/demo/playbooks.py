"""The demo's playbooks: a damaged delivery, a compromised account and a refund above an agent's limit, in our own
wording, each started on a few of the demo's open conversations about such a problem (dated from when the
conversation opened, so some steps are already overdue on the supervisor board); and two internal tasks (one-step
playbooks) that the demo's rules start: a supervisor's follow-up of a repeat contact and a VIP's thank-you."""

from __future__ import annotations

from sqlalchemy import select

from rapport.db.session import Database
from rapport.kernel.permissions import SYSTEM
from rapport.models import BusinessCalendar, Conversation, ConversationTag, PlaybookTemplate, Team
from rapport.models.enums import ACTIVE_STATUSES
from rapport.playbooks import service, templates

HOUR = 3600
PER_PLAYBOOK = 4  # demo conversations each playbook is started on
TASK_FOLLOW_UP = "Repeat contact: supervisor follow-up"
TASK_THANK_YOU = "VIP thank-you"


def _step(title: str, hours: float | None = None, **options) -> dict:
    seconds = None if hours is None else round(hours * HOUR)
    return {"title": title, "offset_seconds": seconds, **options}


def _playbooks(teams: dict[str, int], calendar_id: int | None) -> list[tuple[dict, str]]:
    """Each template's content and the demo tag of the conversations it is started on."""
    orders, care, billing = teams["Orders & Delivery"], teams["Customer Care"], teams["Billing & Payments"]
    return [
        ({
            "name": "Damaged delivery",
            "description": "The parcel arrived broken or incomplete: evidence first, then a replacement or refund.",
            "blocks_solve": True, "calendar_id": calendar_id, "match": {"tags": ["damaged"]},
            "steps": [
                _step("Apologise and ask for photos of the parcel and the item", 2, evidence="note"),
                _step("Wait for the customer's photos", action="wait_for_customer"),
                _step("Decide: replacement or refund", 4, offset_from="previous", owner="team", team_id=orders,
                      evidence="note"),
                _step("Open a claim with the courier", 24, offset_from="previous", required=False),
            ],
        }, "delivery-period"),
        ({
            "name": "Account compromise",
            "description": "Someone else may be using the customer's account: lock it, prove who is asking, restore.",
            "blocks_solve": True, "calendar_id": None, "match": {"tags": ["account-compromised"]},
            "steps": [
                _step("Lock the account and sign out every session", 0.5, owner="team", team_id=care,
                      evidence="note"),
                _step("Confirm the customer's identity on a second channel", 2, action="wait_for_customer"),
                _step("Reset the password and review recent orders", 2, offset_from="previous",
                      owner="role", role="supervisor", evidence="note"),
                _step("Send the security checklist to the customer", 8, offset_from="previous", required=False),
            ],
        }, "recover-password"),
        ({
            "name": "Refund over limit",
            "description": "A refund above what an agent may grant alone: documented, approved, then paid.",
            "blocks_solve": True, "calendar_id": calendar_id, "match": {"tags": ["refund-over-limit"]},
            "steps": [
                _step("Record the order number, amount and reason", 1, evidence="note"),
                _step("Supervisor approves the refund", 4, offset_from="previous", owner="role",
                      role="supervisor", action="request_approval"),
                _step("Pay the refund and tell the customer when it arrives", 8, offset_from="previous",
                      owner="team", team_id=billing),
            ],
        }, "get-refund"),
        # Internal tasks: one-step playbooks the demo's rules start (rules.handover), never by tag.
        ({
            "name": TASK_FOLLOW_UP,
            "description": "A customer wrote for the third time in a week: a supervisor calls or writes personally.",
            "blocks_solve": False, "calendar_id": calendar_id,
            "steps": [_step("Follow up personally and note what went wrong", 8, owner="role", role="supervisor",
                            evidence="note")],
        }, None),
        ({
            "name": TASK_THANK_YOU,
            "description": "A VIP's tenth conversation: the agent who knows them writes a personal thank-you.",
            "blocks_solve": False, "calendar_id": calendar_id,
            "steps": [_step("Write the customer a personal thank-you", 16, evidence="note")],
        }, None),
    ]  # fmt: skip


def ensure_playbooks(db: Database) -> bool:
    """Add the demo's playbooks unless there are playbooks already, and start each on a few matching open
    conversations; True when they were added."""
    with db.write() as s:
        if s.scalar(select(PlaybookTemplate.id).limit(1)) is not None:
            return False
        teams = dict(s.execute(select(Team.name, Team.id)).all())
        if not {"Orders & Delivery", "Customer Care", "Billing & Payments"} <= set(teams):
            return False  # not the demo organisation
        calendar_id = s.scalar(select(BusinessCalendar.id).where(BusinessCalendar.name == "London office"))
        for content, tag in _playbooks(teams, calendar_id):
            template = templates.create(s, SYSTEM, content)
            for conv_id, opened in _open_with_tag(s, tag) if tag else ():
                service.start(s, conv_id, template.id, by=SYSTEM, reason=f"demo: #{tag}", at=opened)
    return True


def _open_with_tag(session, tag: str) -> list[tuple[int, object]]:
    query = (
        select(Conversation.id, Conversation.created_at)
        .join(ConversationTag, ConversationTag.conversation_id == Conversation.id)
        .where(ConversationTag.tag == tag, Conversation.status.in_([s.value for s in ACTIVE_STATUSES]))
        .order_by(Conversation.created_at.desc())
        .limit(PER_PLAYBOOK)
    )
    return list(session.execute(query).all())
