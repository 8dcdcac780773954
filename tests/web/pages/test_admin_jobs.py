"""The admin page of failed jobs and its API: kind, key, attempts, last error; Retry and Discard; admins only."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import Job
from rapport.worker import scheduler
from rapport.worker.runner import run_due
from tests.conftest import World


def _dead(db, frozen_clock, key: str = "broken:1", payload: dict | None = None) -> int:
    """A job of a kind nobody handles, given one attempt: it dies with a LookupError."""
    with db.write() as s:
        scheduler.schedule(s, "test.<broken>", key, frozen_clock[0], payload or {}, max_attempts=1)
    run_due(db)
    with db.read() as s:
        job = s.scalars(select(Job).where(Job.dedupe_key == key)).one()
        assert job.state == "dead"
        return job.id


def test_the_page_lists_dead_jobs_escaped_and_never_their_payload(client, admin_csrf, db, frozen_clock):
    assert "No failed jobs" in client.get("/admin/jobs").text
    job_id = _dead(db, frozen_clock, payload={"text": "sign in at https://x.test/secret-link"})
    page = client.get("/admin/jobs").text
    assert f'id="job-{job_id}"' in page and "broken:1" in page and "1 of 1" in page
    assert "no handler registered for job kind" in page
    assert "test.&lt;broken&gt;" in page and "test.<broken>" not in page
    assert "secret-link" not in page
    assert 'href="/admin/jobs"' in client.get("/admin").text  # listed among the admin sections


def test_retry_queues_it_again_and_discard_forgets_it(client, admin_csrf, db, frozen_clock):
    first = _dead(db, frozen_clock, "broken:1")
    second = _dead(db, frozen_clock, "broken:2")
    r = client.post(f"/admin/jobs/{first}/retry", data={"csrf_token": admin_csrf, "kind": "test.<broken>"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/jobs?kind=test.%3Cbroken%3E"
    r = client.post(f"/admin/jobs/{second}/discard", data={"csrf_token": admin_csrf})
    assert r.status_code == 303
    with db.read() as s:
        [job] = s.scalars(select(Job)).all()
    assert (job.id, job.state, job.attempts, job.due_at) == (first, "queued", 0, frozen_clock[0])
    page = client.get("/admin/jobs").text
    assert f'id="job-{first}"' not in page and f'id="job-{second}"' not in page
    # Pressing again finds nothing dead: a clear answer, not a second run.
    assert client.post(f"/admin/jobs/{first}/retry", data={"csrf_token": admin_csrf}).status_code == 404


def test_writes_need_the_csrf_token_and_an_admin(client, admin_csrf, db, world, frozen_clock):
    job_id = _dead(db, frozen_clock)
    assert client.post(f"/admin/jobs/{job_id}/retry", data={}).status_code == 403
    assert client.post(f"/admin/jobs/{job_id}/discard", data={"csrf_token": "wrong"}).status_code == 403
    client.cookies.clear()
    from tests.web.pages.conftest import sign_in_as

    csrf = sign_in_as(client, "alex@example.com", "agent password 1")
    assert client.get("/admin/jobs").status_code == 403
    assert client.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": csrf}).status_code == 403
    with db.read() as s:
        assert s.get(Job, job_id).state == "dead"


def test_the_api_lists_retries_and_discards_with_the_admin_scope(client, db, world, frozen_clock):
    first, second = _dead(db, frozen_clock, "broken:1"), _dead(db, frozen_clock, "broken:2")
    admin = World.auth(world.admin_token)
    page = client.get("/api/v1/jobs/dead?limit=1", headers=admin).json()
    assert [j["id"] for j in page["items"]] == [second] and page["next_cursor"] == str(second)
    [item] = page["items"]
    assert (item["kind"], item["key"], item["attempts"], item["state"]) == ("test.<broken>", "broken:2", 1, "dead")
    assert "payload" not in item and "no handler registered" in item["last_error"]
    rest = client.get(f"/api/v1/jobs/dead?cursor={page['next_cursor']}", headers=admin).json()
    assert [j["id"] for j in rest["items"]] == [first] and rest["next_cursor"] is None
    assert client.get("/api/v1/jobs/dead?kind=other", headers=admin).json()["items"] == []
    assert client.get("/api/v1/jobs/dead?limit=0", headers=admin).status_code == 422
    refused = client.get("/api/v1/jobs/dead", headers=World.auth(world.agent_token))
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    retried = client.post(f"/api/v1/jobs/{first}/retry", headers=admin)
    assert retried.status_code == 202 and retried.json()["state"] == "queued"
    assert client.post(f"/api/v1/jobs/{first}/retry", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/jobs/{second}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/jobs/{first}", headers=admin).status_code == 404  # queued, not dead
    assert client.get("/api/v1/jobs/dead", headers=admin).json()["items"] == []
