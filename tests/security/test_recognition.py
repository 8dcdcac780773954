"""Recognition's security: a customer's comment is stored clean and shown escaped on the kudos pages; a follow-up is
completed only by its owner, its team or a supervisor, and only with the write scope."""

from __future__ import annotations

from rapport.agents import service as agents
from rapport.events.consumers import run_consumers
from rapport.kernel.permissions import SYSTEM
from rapport.recognition.classify import clean
from tests.conftest import World
from tests.recognition.conftest import answer, followup_rows, kudos_rows, surveyed

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>Thanks\u202e\x07 Alex'


def test_a_comment_with_markup_is_kept_as_text_and_shown_escaped(db, world, frozen_clock, client, supervisor_csrf):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="5", comment=SCRIPT)
    run_consumers(db)
    (k,) = kudos_rows(db)
    assert "<script" not in k.comment and "\u202e" not in k.comment and "\x07" not in k.comment
    page = client.get("/kudos")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "Thanks" in page.text


def test_clean_drops_controls_and_bounds_the_length():
    assert clean("a\x00b\u200bc\r\n\n\n\nd", 100) == "abc\n\nd"
    assert clean("x" * 50, 10) == "x" * 9 + "…"


def test_an_agent_of_another_team_cannot_complete_a_follow_up(db, world, frozen_clock, client):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="1")
    run_consumers(db)
    (f,) = followup_rows(db)
    with db.write() as s:
        _, outsider = agents.create_token(s, SYSTEM, name="bo", scopes=["read", "write"], agent_id=world.agent2.id)
    body = {"reason_code": "other", "outcome": "Not my team"}
    r = client.post(f"/api/v1/followups/{f.id}/complete", json=body, headers=World.auth(outsider))
    assert r.status_code == 403
    assert followup_rows(db)[0].state == "open"
    r = client.post(f"/api/v1/followups/{f.id}/complete", json=body, headers=World.auth(world.readonly_token))
    assert r.status_code == 403  # a read-only token of the owner's team: the scope refuses it
    r = client.post(f"/api/v1/followups/{f.id}/complete", json=body, headers=World.auth(world.agent_token))
    assert r.status_code == 200  # Alex is in the follow-up's team


def test_an_agent_cannot_read_another_agents_kudos_or_the_wall(db, world, frozen_clock, client):
    headers = World.auth(world.agent_token)
    assert client.get("/api/v1/kudos", params={"agent_id": world.agent2.id}, headers=headers).status_code == 403
    assert client.get("/api/v1/kudos", headers=headers).status_code == 403
    assert client.get("/api/v1/kudos", params={"team_id": world.team.id}, headers=headers).status_code == 200
