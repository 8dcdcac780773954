"""The demo's rules: ten realistic ones of all three kinds, added once, acting on what happens next."""

from sqlalchemy import select

from rapport.conversations import service
from rapport.conversations.service import Changes
from rapport.demo.playbooks import TASK_FOLLOW_UP
from rapport.demo.rules import ensure_rules
from rapport.demo.sla import ensure_targets
from rapport.kernel.permissions import SYSTEM
from rapport.models import PlaybookRun, Rule
from rapport.models.enums import Status
from rapport.playbooks import templates as playbook_templates
from tests.rules.conftest import events, work, write_in  # noqa: F401  (work: the worker pass fixture)


def test_the_demo_adds_ten_rules_once_and_they_act(db, world, work):  # noqa: F811
    assert ensure_rules(db) is False  # no office calendar yet: nothing to count business hours on
    assert ensure_targets(db) is True
    assert ensure_rules(db) is True
    with db.read() as s:
        rules = list(s.execute(select(Rule.name, Rule.kind).order_by(Rule.position)))
    assert len(rules) == 10 and {k for _, k in rules} == {"event", "time", "count"}
    names = [n for n, _ in rules]
    assert "3rd contact in 7 days: supervisor follow-up" in names
    assert "Every 10th conversation of a VIP: personal thank-you" in names
    assert ensure_rules(db) is False  # a second start adds nothing
    work()
    conversation_id = write_in(db, world, "I need a refund ASAP please")
    work()
    fired = {e.payload["rule"] for e in events(db, conversation_id, "rule.executed")}
    assert {"Refund requests are flagged", "Urgent words raise the priority"} <= fired


def test_a_third_contact_in_a_week_starts_the_supervisors_follow_up_task(db, world, work):  # noqa: F811
    ensure_targets(db)
    task = {
        "name": TASK_FOLLOW_UP,
        "steps": [{"title": "Follow up personally", "offset_seconds": 8 * 3600, "owner": "role", "role": "supervisor"}],
    }
    with db.write() as s:
        template_id = playbook_templates.create(s, SYSTEM, task).id
    assert ensure_rules(db) is True
    work()
    conversations = []
    for text in ("Where is my parcel?", "Still no parcel", "Third time: where is my parcel?"):
        conversations.append(write_in(db, world, text))
        work()
        for status in (Status.solved, Status.closed):  # closed, so the customer's next mail opens a new one
            with db.write() as s:
                service.update(s, SYSTEM, conversations[-1], Changes(status=status))
        work()
    with db.read() as s:
        started = list(s.scalars(select(PlaybookRun.conversation_id).where(PlaybookRun.template_id == template_id)))
    assert started == [conversations[2]]  # the third contact of the week, and only it
    said = [e.payload["actions"] for e in events(db, conversations[2], "rule.executed")]
    assert any(f"started the playbook '{TASK_FOLLOW_UP}'" in str(a) for a in said)
