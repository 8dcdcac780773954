"""The command palette's sources: a conversation by number, customers, the agent's views, pages and actions by role."""

from __future__ import annotations

import pytest

from rapport.kernel.permissions import Actor
from rapport.kit.problems import Invalid
from rapport.workspace.search import palette
from tests.conftest import inbound


def _actor(agent) -> Actor:
    return Actor(kind="agent", id=agent.id, role=agent.role, name=agent.name)


def _kinds(found) -> list[tuple[str, str]]:
    return [(e.kind, e.href) for e in found]


def test_a_number_finds_its_conversation_and_nothing_else_when_it_does_not_exist(client, db, world):
    got = inbound(client, world.agent_token, world.api_inbox.id, address="jo@customer.test", text="Parcel lost")
    with db.read() as s:
        found = palette.entries(s, _actor(world.agent), f"#{got['conversation_id']}")
        assert found[0].kind == "conversation" and found[0].href == f"/conversations/{got['conversation_id']}"
        assert palette.entries(s, _actor(world.agent), "987654321") == []
        assert palette.entries(s, _actor(world.agent), str(2**64)) == []  # beyond 64 bits: no error, no result


def test_customers_views_pages_and_actions(client, db, world):
    inbound(client, world.agent_token, world.api_inbox.id, address="zelda@customer.test", text="Hi")
    with db.read() as s:
        agent, admin = _actor(world.agent), _actor(world.admin)
        assert ("customer", "/customers/") in [(e.kind, e.href[:11]) for e in palette.entries(s, agent, "zelda")]
        assert ("view", "/inbox/unassigned") in _kinds(palette.entries(s, agent, "unassig"))
        assert ("page", "/customers") in _kinds(palette.entries(s, agent, "custom"))
        assert ("action", "/profile#password") in _kinds(palette.entries(s, agent, "password"))
        assert ("action", "/admin/agents/new") not in _kinds(palette.entries(s, agent, "add agent"))
        assert ("action", "/admin/agents/new") in _kinds(palette.entries(s, admin, "add agent"))


def test_a_query_too_long_is_refused_with_the_limit(db, world):
    with db.read() as s, pytest.raises(Invalid, match="200"):
        palette.entries(s, _actor(world.agent), "x" * 201)


def test_the_route_answers_options_for_a_signed_in_agent_only(client, db, world):
    from tests.web.pages.conftest import sign_in_as

    assert client.get("/palette?q=inbox", follow_redirects=False).status_code in (303, 401)
    client.follow_redirects = False
    sign_in_as(client, "alex@example.com", "agent password 1")
    r = client.get("/palette?q=inbox")
    assert r.status_code == 200 and 'role="option"' in r.text and "/inbox" in r.text
    assert "Nothing matches" in client.get("/palette?q=zzzzqqq").text
