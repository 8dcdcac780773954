"""Typed consumers: a failing event is retried RAPPORT_EVENT_MAX_ATTEMPTS times, then set aside while the cursor
moves on; history consumers see imported events and replay them; admins see dead letters and retry them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from rapport.cli import app as cli
from rapport.conversations.events import ConversationCreated
from rapport.customers.events import CREATED
from rapport.events import consumers, typed
from rapport.events.registry import Empty
from rapport.kit.clock import now
from rapport.models import Event, EventCursor, EventDeadLetter
from rapport.worker.runner import load_handlers
from tests.conftest import World
from tests.web.pages.conftest import csrf_of


@pytest.fixture
def alone(monkeypatch):
    """Only the consumers a test declares are registered meanwhile (the real ones are imported first, and hidden)."""
    load_handlers()
    monkeypatch.setattr(consumers, "CONSUMERS", {})
    monkeypatch.setattr(consumers, "WANTS", {})
    monkeypatch.setattr(consumers, "HISTORY", set())


def _event(db, name: str = "customer.created", *, actor_kind: str = "system", payload=None, **ids) -> int:
    row = {"name": name, "occurred_at": now(), "actor_kind": actor_kind, "payload": payload or {}, **ids}
    with db.write() as s:
        return s.execute(insert(Event).values(**row).returning(Event.id)).scalar_one()


def _letters(db) -> list[tuple]:
    with db.read() as s:
        return s.execute(select(EventDeadLetter.consumer, EventDeadLetter.event_id, EventDeadLetter.attempts)).all()


def _cursor(db, name: str) -> EventCursor:
    with db.read() as s:
        return s.get(EventCursor, name)


def test_a_failing_event_is_retried_then_set_aside_while_later_events_go_on(db, alone, settings):
    settings.event_max_attempts = 3
    flaky = typed.Consumer("flaky")
    tries, handled, broken, round_ = [], [], set(), [0]

    @flaky.on(CREATED)
    def created(session, event):
        tries.append((round_[0], event.id))
        if event.id in broken:
            raise RuntimeError(f"cannot handle {event.id}")
        handled.append(event.id)

    consumers.run_consumers(db)  # the cursor starts at the present
    first, bad, last = _event(db), _event(db), _event(db)
    broken.add(bad)
    for round_[0] in range(10):
        consumers.run_consumers(db)
    assert _letters(db) == [("flaky", bad, 3)]
    assert len({r for r, i in tries if i == bad}) == 3  # tried in three rounds (the named number), then set aside
    assert first in handled and last in handled and bad not in handled
    cursor = _cursor(db, "flaky")
    assert (cursor.last_id, cursor.attempts, cursor.last_error) == (last, 0, None)
    later = _event(db)
    consumers.run_consumers(db)
    assert handled[-1] == later  # the consumer goes on as usual


def test_a_failing_consumer_counts_its_tries_and_the_error_shows(db, alone, settings):
    settings.event_max_attempts = 5
    consumers.consumer("down")(lambda session, rows: (_ for _ in ()).throw(ConnectionError("receiver down")))
    consumers.run_consumers(db)
    _event(db)
    consumers.run_consumers(db)
    consumers.run_consumers(db)
    cursor = _cursor(db, "down")
    assert cursor.attempts == 2 and cursor.last_error == "ConnectionError: receiver down"
    assert _letters(db) == []  # not yet: three more tries


def test_handlers_get_the_declared_payload_model_and_the_events_place(db, alone):
    got = []
    strict = typed.Consumer("typed")
    strict.on("conversation.created")(lambda session, event: got.append(event))
    strict.on(CREATED)(lambda session, event: got.append(event))
    consumers.run_consumers(db)
    payload = {"channel": "email", "inbox_id": 4, "subject": "Hi", "follow_up_of": None}
    _event(db, "conversation.created", payload=payload, conversation_id=9, inbox_id=4, team_id=2)
    _event(db)
    _event(db, "agent.signed_in")  # no handler: never handed over
    consumers.run_consumers(db)
    assert [type(e.payload) for e in got] == [ConversationCreated, Empty]
    assert got[0].payload.subject == "Hi" and (got[0].inbox_id, got[0].team_id) == (4, 2)


def test_a_history_consumer_starts_at_the_beginning_and_replays_imported_history(db, alone, settings, tmp_path):
    seen: list[tuple[int, str]] = []
    backfill = typed.Consumer("backfill", history=True)
    backfill.on(CREATED)(lambda session, e: seen.append((e.id, e.actor_kind)))
    live_only = typed.Consumer("live")
    live_only.on(CREATED)(lambda session, e: None)
    old = _event(db, actor_kind="import")
    new = _event(db)
    consumers.run_consumers(db)
    assert seen == [(old, "import"), (new, "system")]  # imported history included, from the first event
    consumers.run_consumers(db)
    assert len(seen) == 2  # once each
    url = db.engine.url.render_as_string(hide_password=False)
    env = {"RAPPORT_DATABASE_URL": url, "RAPPORT_SECRET_KEY": "test-secret"}
    args = ["events", "replay", "backfill", "--from-start", "--data-dir", str(tmp_path / "cli")]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Replayed 2 events to the consumer backfill." in result.output
    assert seen[2:] == [(old, "import"), (new, "system")]
    assert consumers.replay(db, "backfill", after=old) == 1
    refused = CliRunner().invoke(cli, ["events", "replay", "live", "--from-start"], env=env)
    assert refused.exit_code == 1 and "replaying it would act again on old events" in refused.output
    assert CliRunner().invoke(cli, ["events", "replay", "backfill"], env=env).exit_code == 2


def _dead_letter(db, settings) -> tuple[int, list]:
    """A consumer that fails on every event until `fixed` gets True, and the event it set aside."""
    settings.event_max_attempts = 1
    state = {"fixed": False, "got": []}
    fragile = typed.Consumer("fragile")

    @fragile.on(CREATED)
    def created(session, event):
        if not state["fixed"]:
            raise ValueError("customer service is down")
        state["got"].append(event.id)

    consumers.run_consumers(db)
    event_id = _event(db)
    consumers.run_consumers(db)
    assert _letters(db) == [("fragile", event_id, 1)]
    return event_id, state


def test_the_admin_page_lists_dead_letters_and_retries_them(client, world, db, settings, alone):
    event_id, state = _dead_letter(db, settings)
    client.follow_redirects = False
    r = client.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery"})
    assert r.status_code == 303
    page = client.get("/admin/events")
    assert page.status_code == 200
    assert "fragile" in page.text and "ValueError: customer service is down" in page.text
    assert f"#{event_id}" in page.text and 'href="/admin/events"' in client.get("/admin").text
    with db.read() as s:
        letter_id = s.scalar(select(EventDeadLetter.id))
    csrf = csrf_of(page.text)
    assert client.post(f"/admin/events/dead-letters/{letter_id}/retry", data={}).status_code == 403  # no CSRF token
    r = client.post(f"/admin/events/dead-letters/{letter_id}/retry", data={"csrf_token": csrf})
    assert r.status_code == 303 and _letters(db) == [("fragile", event_id, 2)]  # failed again: one more try
    state["fixed"] = True
    r = client.post(f"/admin/events/dead-letters/{letter_id}/retry", data={"csrf_token": csrf})
    assert r.status_code == 303 and _letters(db) == []
    assert state["got"] == [event_id]
    assert "No event is set aside" in client.get("/admin/events").text


def test_an_agent_may_not_see_or_retry_dead_letters(client, world, db, settings, alone):
    _dead_letter(db, settings)
    client.follow_redirects = False
    client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    assert client.get("/admin/events").status_code == 403
    csrf = csrf_of(client.get("/profile").text)
    with db.read() as s:
        letter_id = s.scalar(select(EventDeadLetter.id))
    assert client.post(f"/admin/events/dead-letters/{letter_id}/retry", data={"csrf_token": csrf}).status_code == 403
    assert len(_letters(db)) == 1


def test_the_api_lists_and_retries_dead_letters_with_the_admin_scope(client, world, db, settings, alone):
    event_id, state = _dead_letter(db, settings)
    r = client.get("/api/v1/events/dead-letters", headers=World.auth(world.agent_token))
    assert r.status_code == 403
    r = client.get("/api/v1/events/dead-letters", headers=World.auth(world.admin_token))
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert (item["consumer"], item["event_id"], item["event_name"]) == ("fragile", event_id, "customer.created")
    state["fixed"] = True
    r = client.post(f"/api/v1/events/dead-letters/{item['id']}/retry", headers=World.auth(world.admin_token))
    assert r.status_code == 200 and r.json() == {"id": item["id"], "handled": True}
    r = client.post(f"/api/v1/events/dead-letters/{item['id']}/retry", headers=World.auth(world.admin_token))
    assert r.status_code == 404


def test_a_replay_clears_the_dead_letters_it_hands_over_again(db, alone, settings):
    settings.event_max_attempts = 1
    broken = {"on": True}
    history = typed.Consumer("history", history=True)

    @history.on(CREATED)
    def created(session, event):
        if broken["on"]:
            raise RuntimeError("no")

    bad = _event(db, occurred_at=now() - timedelta(days=1))
    consumers.run_consumers(db)
    assert _letters(db) == [("history", bad, 1)]
    broken["on"] = False
    assert consumers.replay(db, "history") == 1
    assert _letters(db) == []
