"""The macros' measures read their uses through ix_macro_usages_macro and each reopen check through
ix_events_reopened: never a scan of every use or every event."""

from __future__ import annotations

from rapport.macros import repository
from tests.macros.helpers import conversation, make
from tests.plans import plan_of


def test_the_measures_query_is_served_by_the_indexes(client, world, db):
    conversation(client, world)
    made = make(client, world.agent_token)
    plan = plan_of(db, lambda s: repository.measures(s, [made["id"]]), wants=("macro_usages",))
    assert "ix_macro_usages_macro" in plan, plan
    assert "ix_events_reopened" in plan, plan
