""" "Don't survey" per conversation (an agent's toggle on the page and in the API) and per macro (its option): the
send rules skip such a conversation, and the withdrawn reason says why; clearing it lets the next solve survey it."""

from __future__ import annotations

from sqlalchemy import select

from rapport.conversations import service as conversations
from rapport.models import Job, Macro, SurveyHold, SurveyRequest
from rapport.models.enums import Status
from rapport.surveys.send import send as send_now
from tests.conftest import World
from tests.surveys.conftest import agent_actor, events_named, make_survey, requests_of, sent, solved


def hold_api(client, world, conv: int, method: str = "PUT", token=None, **body):
    url = f"/api/v1/conversations/{conv}/survey-hold"
    headers = World.auth(token or world.agent_token)
    return client.request(method, url, json=body if method == "PUT" else None, headers=headers)


def reopen_and_solve(db, world, conv: int) -> None:
    with db.write() as s:
        conversations.update(s, agent_actor(world), conv, conversations.Changes(status=Status.open))
    with db.write() as s:
        conversations.update(s, agent_actor(world), conv, conversations.Changes(status=Status.solved))


def test_a_held_conversation_is_not_surveyed_and_the_reason_says_why(db, world, client):
    make_survey(db)
    conv = solved(db, world, reply=True)  # a first request exists: held now, it is withdrawn
    r = hold_api(client, world, conv, reason="Complaint escalated to legal")
    assert r.status_code == 200 and r.json()["held"] and r.json()["agent_id"] == world.agent.id
    (req,) = requests_of(db, conv)
    assert req.state == "withdrawn"
    assert req.reason == "the conversation is marked don't survey: Complaint escalated to legal"
    with db.read() as s:
        assert s.scalar(select(Job.id).where(Job.dedupe_key == f"survey:send:{req.id}")) is None
    # Solved again while held: still nothing scheduled; the request says why.
    reopen_and_solve(db, world, conv)
    (req,) = requests_of(db, conv)
    assert req.state == "withdrawn" and "don't survey" in req.reason
    assert hold_api(client, world, conv, "GET").json()["reason"] == "Complaint escalated to legal"
    names = [e.name for e in events_named(db, "survey.")]
    assert names.count("survey.held") == 1 and names[-1] == "survey.withdrawn"
    # Cleared: the next solve schedules it again.
    assert hold_api(client, world, conv, "DELETE").status_code == 204
    assert hold_api(client, world, conv, "GET").json() == {
        "held": False, "reason": "", "agent_id": None, "macro_id": None, "created_at": None,
    }  # fmt: skip
    reopen_and_solve(db, world, conv)
    (req,) = requests_of(db, conv)
    assert req.state == "scheduled"


def test_a_hold_set_before_the_solve_records_the_survey_withdrawn(db, world, client):
    make_survey(db)
    conv = solved(db, world, reply=True)
    hold_api(client, world, conv)
    reopen_and_solve(db, world, conv)
    (req,) = requests_of(db, conv)
    assert req.state == "withdrawn" and req.reason == "the conversation is marked don't survey: set by Alex Agent"


def test_a_sent_survey_is_withdrawn_by_the_hold_and_its_link_refused(db, world, client, frozen_clock):
    request_id, token = sent(db, world, frozen_clock)
    with db.read() as s:
        conv = s.get(SurveyRequest, request_id).conversation_id
    hold_api(client, world, conv)
    assert client.get(f"/survey/{request_id}/{token}").status_code == 410
    with db.read() as s:
        assert s.get(SurveyRequest, request_id).state == "withdrawn"


def test_a_survey_falling_due_on_a_held_conversation_is_withdrawn(db, world, frozen_clock):
    make_survey(db)
    conv = solved(db, world)
    (req,) = requests_of(db, conv)
    with db.write() as s:
        # Set behind the service's back (as a replica lagging would): the send job checks again.
        from rapport.kit.clock import now

        s.add(SurveyHold(conversation_id=conv, reason="", created_at=now()))
    frozen_clock[0] = req.due_at
    with db.write() as s:
        assert send_now(s, req.id) == "withdrawn"
        assert s.get(SurveyRequest, req.id).reason == "the conversation is marked don't survey"


def test_a_macro_with_dont_survey_marks_the_conversation_before_it_solves_it(db, world, client):
    make_survey(db)
    from tests.macros.helpers import conversation, make

    conv = conversation(client, world)
    made = make(client, world.agent_token, name="Legal hold", body="We are looking into it.",
                changes={"status": "solved", "no_survey": True})  # fmt: skip
    r = client.post(f"/api/v1/macros/{made['id']}/apply", json={"conversation_id": conv},
                    headers=World.auth(world.agent_token))  # fmt: skip
    assert r.status_code == 201, r.text
    (req,) = requests_of(db, conv)
    assert (
        req.state == "withdrawn" and req.reason == "the conversation is marked don't survey: by the macro 'Legal hold'"
    )
    with db.read() as s:
        hold = s.get(SurveyHold, conv)
        assert hold.macro_id == made["id"] and hold.agent_id == world.agent.id
        assert s.get(Macro, made["id"]).changes["no_survey"] is True


def test_the_macro_form_offers_dont_survey(client, world, signed_in, db):
    form = {"csrf_token": signed_in, "name": "Quiet", "visibility": "personal", "body": "Done.", "no_survey": "on",
            "fields": ""}  # fmt: skip
    assert client.post("/macros/new", data=form, follow_redirects=False).status_code == 303
    with db.read() as s:
        row = s.scalars(select(Macro).where(Macro.name == "Quiet")).one()
        assert row.changes == {"no_survey": True}
    assert 'name="no_survey" value="on" checked' in client.get(f"/macros/{row.id}").text


def test_the_agent_toggles_dont_survey_on_the_conversation_page(client, world, signed_in, db):
    make_survey(db)
    conv = solved(db, world)
    page = client.get(f"/conversations/{conv}")
    assert "Don&#39;t survey this conversation" in page.text or "Don't survey this conversation" in page.text
    r = client.post(f"/conversations/{conv}/no-survey", data={"csrf_token": signed_in}, follow_redirects=False)
    assert r.status_code == 303
    assert requests_of(db, conv)[0].state == "withdrawn"
    page = client.get(f"/conversations/{conv}")
    assert "data-survey-hold" in page.text and "Allow surveys again" in page.text
    r = client.post(f"/conversations/{conv}/allow-survey", data={"csrf_token": signed_in}, follow_redirects=False)
    assert r.status_code == 303
    with db.read() as s:
        assert s.get(SurveyHold, conv) is None


def test_holds_need_the_write_scope_and_a_bounded_reason(client, world):
    r = hold_api(client, world, 999999)
    assert r.status_code == 404
    r = client.put("/api/v1/conversations/1/survey-hold", json={}, headers=World.auth(world.readonly_token))
    assert r.status_code == 403
    r = hold_api(client, world, 1, reason="x" * 201)
    assert r.status_code == 422
    r = client.put("/api/v1/conversations/1/survey-hold", json={"reason": "no"}, headers={})
    assert r.status_code == 401
