"""The demo's macros: fifteen, shared, per team and one personal to the demo login, each usable on a conversation."""

from sqlalchemy import select

from rapport.demo import generate
from rapport.demo.load import ensure_login
from rapport.demo.macros import ensure_macros
from rapport.demo.org import DEMO_EMAIL
from rapport.kernel.permissions import SYSTEM
from rapport.macros import apply
from rapport.models import Conversation, Macro
from rapport.models.enums import ACTIVE_STATUSES


def test_the_demo_has_fifteen_macros_that_preview_on_its_conversations(db, frozen_clock):
    generate(db, conversations=60, customers=30)
    ensure_login(db)
    assert ensure_macros(db, DEMO_EMAIL) is True
    with db.read() as s:
        rows = list(s.scalars(select(Macro)))
        assert len(rows) == 15
        assert {r.visibility for r in rows} == {"shared", "team", "personal"}
        conv = s.scalar(select(Conversation).where(Conversation.status.in_([a.value for a in ACTIVE_STATUSES])))
        for row in rows:
            if row.visibility != "personal":
                plan = apply.plan(s, SYSTEM, row, conv)
                assert "{{" not in (plan.reply or "") and "{{" not in (plan.note or "")
    assert ensure_macros(db, DEMO_EMAIL) is False  # a second start adds nothing
