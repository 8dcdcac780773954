"""Typing signals are rate-limited per sender: repeats within 2 s dropped, a per-minute limit refused by name."""

from __future__ import annotations

import pytest

from rapport.kit.problems import TooManyRequests
from rapport.realtime import throttle
from rapport.realtime.throttle import SignalGate
from tests.channels.chat.conftest import KEY, chat_inbox, new_visitor  # noqa: F401 (fixtures)


def test_a_repeated_state_is_dropped_until_two_seconds_pass_and_a_change_always_passes():
    at = [100.0]
    gate = SignalGate(60, clock=lambda: at[0])
    assert gate.allow("visitor:1", "typing")
    at[0] += 1.0
    assert not gate.allow("visitor:1", "typing")  # a key press a second later: no new push
    assert gate.allow("visitor:2", "typing")  # another sender is counted apart
    assert gate.allow("visitor:1", "idle")  # stopping always shows
    assert gate.allow("visitor:1", "typing")
    at[0] += throttle.REPEAT_SECONDS
    assert gate.allow("visitor:1", "typing")


def test_more_than_the_limit_in_a_minute_is_refused_naming_the_setting():
    at = [0.0]
    gate = SignalGate(3, clock=lambda: at[0])
    for state in ("typing", "idle", "typing"):
        assert gate.allow("agent:1:5", state)
    with pytest.raises(TooManyRequests) as err:
        gate.allow("agent:1:5", "idle")
    assert "RAPPORT_TYPING_SIGNALS_PER_MINUTE" in err.value.detail
    at[0] += throttle.WINDOW_SECONDS
    assert gate.allow("agent:1:5", "idle")  # a new minute


def test_idle_senders_are_forgotten_when_many_are_remembered(monkeypatch):
    monkeypatch.setattr(throttle, "MAX_SENDERS", 2)
    at = [0.0]
    gate = SignalGate(60, clock=lambda: at[0])
    gate.allow("a", "typing")
    gate.allow("b", "typing")
    at[0] += throttle.WINDOW_SECONDS
    gate.allow("c", "typing")
    assert set(gate._seen) == {"c"}


def test_the_chat_and_the_agent_endpoints_apply_the_limit(client, app, world, chat_inbox):  # noqa: F811
    app.state.hub.typing.per_minute = 2
    me = new_visitor(client)
    api = f"/chat/api/{KEY}"
    conv = client.post(f"{api}/messages", json={"text": "Hi"}, headers=me).json()["conversation_id"]
    for state in ("typing", "typing", "idle"):  # the repeat is dropped, not counted
        assert client.post(f"{api}/typing", json={"state": state}, headers=me).status_code == 204
    r = client.post(f"{api}/typing", json={"state": "typing"}, headers=me)
    assert r.status_code == 429 and "RAPPORT_TYPING_SIGNALS_PER_MINUTE" in r.json()["detail"]
    bearer = world.auth(world.agent_token)
    for state in ("typing", "idle"):
        body = {"conversation_id": conv, "state": state}
        assert client.post("/api/v1/live/presence", json=body, headers=bearer).status_code == 204
    body = {"conversation_id": conv, "state": "typing"}
    assert client.post("/api/v1/live/presence", json=body, headers=bearer).status_code == 429
    # Viewing is not typing: never limited.
    body = {"conversation_id": conv, "state": "viewing"}
    assert client.post("/api/v1/live/presence", json=body, headers=bearer).status_code == 204
