"""Recognition's pages and API: the kudos wall (supervisors), an agent's kudos, follow-ups listed and completed,
and the kudos notification."""

from __future__ import annotations

from sqlalchemy import select

from rapport.events.consumers import run_consumers
from rapport.models import Notification
from rapport.worker.runner import load_handlers
from tests.conftest import World
from tests.recognition.conftest import answer, followup_rows, surveyed


def _kudos(db, world, frozen_clock, comment="Alex sorted it in minutes") -> int:
    load_handlers()  # the notifications consumer, as the worker has it
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="5", comment=comment)
    run_consumers(db)
    return request_id


def test_the_kudos_notifies_the_agent(db, world, frozen_clock):
    _kudos(db, world, frozen_clock)
    run_consumers(db)  # the notifications consumer reads the kudos event
    with db.read() as s:
        (n,) = s.scalars(select(Notification).where(Notification.kind == "kudos")).all()
    assert n.agent_id == world.agent.id and "CSAT 5/5" in n.summary


def test_the_wall_shows_kudos_to_supervisors_only(db, world, frozen_clock, client, supervisor_csrf):
    _kudos(db, world, frozen_clock)
    page = client.get("/kudos")
    assert page.status_code == 200
    assert "Alex Agent" in page.text and "Alex sorted it in minutes" in page.text
    assert client.get(f"/kudos?team={world.team.id}&days=7").status_code == 200
    assert "Alex sorted" not in client.get("/kudos?team=999&days=7").text


def test_an_agent_sees_their_own_kudos_and_teams_not_the_wall(db, world, frozen_clock, client, signed_in):
    _kudos(db, world, frozen_clock)
    wall = client.get("/kudos")  # an agent's "Kudos" is their own page, not the wall
    assert wall.status_code == 200 and "Kudos for Alex Agent" in wall.text and "Kudos wall" not in wall.text
    mine = client.get("/kudos/mine")
    assert mine.status_code == 200 and "Alex sorted it in minutes" in mine.text and "Team Support" in mine.text
    assert client.get(f"/kudos/agents/{world.agent2.id}").status_code == 403


def test_the_follow_ups_page_completes_one(db, world, frozen_clock, client, supervisor_csrf):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="1")
    run_consumers(db)
    (f,) = followup_rows(db)
    page = client.get("/followups")
    assert page.status_code == 200 and f"followup-{f.id}" in page.text
    refused = client.post(f"/followups/{f.id}/complete", data={"csrf_token": supervisor_csrf, "outcome": "Called"})
    assert refused.status_code == 422 and "RAPPORT_FOLLOWUP_REASON_CODES" in refused.text
    done = client.post(
        f"/followups/{f.id}/complete",
        data={"csrf_token": supervisor_csrf, "reason_code": "policy", "outcome": "Called, explained the policy"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert followup_rows(db)[0].state == "done"


def test_the_api_lists_and_completes(db, world, frozen_clock, client):
    _kudos(db, world, frozen_clock)
    r = client.get("/api/v1/kudos", params={"agent_id": world.agent.id}, headers=World.auth(world.agent_token))
    assert r.status_code == 200 and [k["agent_id"] for k in r.json()] == [world.agent.id]
    assert client.get("/api/v1/kudos", headers=World.auth(world.agent_token)).status_code == 403
    assert client.get("/api/v1/kudos", headers=World.auth(world.sup_token)).status_code == 200
    r = client.get("/api/v1/followups", headers=World.auth(world.agent_token))
    assert r.status_code == 200
    (thanks,) = [f for f in r.json() if f["kind"] == "thanks"] or [None]
    assert thanks is None  # CSAT alone is no promoter and no "exceeded": kudos, no thank-you task


def test_the_api_completes_a_recovery_follow_up(db, world, frozen_clock, client):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="1")
    run_consumers(db)
    (f,) = followup_rows(db)
    url = f"/api/v1/followups/{f.id}/complete"
    body = {"reason_code": "wrong_answer", "outcome": "Called back, fixed"}
    assert client.post(url, json=body, headers=World.auth(world.readonly_token)).status_code == 403  # scope
    r = client.post(url, json=body, headers=World.auth(world.sup_token))
    assert r.status_code == 200 and r.json()["state"] == "done" and r.json()["reason_code"] == "wrong_answer"
    assert client.post(url, json=body, headers=World.auth(world.sup_token)).status_code == 409


def test_the_customer_profile_shows_past_scores(db, world, frozen_clock, client, signed_in):
    request_id, token = surveyed(db, world, frozen_clock)
    answer(db, request_id, token, csat="2", expectations="1", comment="<b>Slow</b>")
    from rapport.models import SurveyRequest

    with db.read() as s:
        customer_id = s.get(SurveyRequest, request_id).customer_id
    page = client.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert "CSAT 2/5, expectations failed" in page.text and "(negative) · email" in page.text
    assert "&lt;b&gt;Slow&lt;/b&gt;" in page.text or "<b>Slow</b>" not in page.text
