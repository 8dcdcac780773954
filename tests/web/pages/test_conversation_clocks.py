"""The conversation page's Service targets panel (each clock in words) and the clocks' events on the timeline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from rapport.agents import service as agents
from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM
from tests.sla.clock_rows import Policy, clock, conversation, minutes


@pytest.fixture
def clocks(db, world, frozen_clock) -> int:
    """A conversation under the Standard policy: first reply breached, next reply due soon, resolution paused."""
    now = frozen_clock[0]
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.agent.id, timezone="Europe/Paris")
        p = Policy(s)
        conv = conversation(s, world.email_inbox.id, due=now - minutes(65), policy=p)
        clock(s, p, conv, state="breached", due_at=now - minutes(65), breached_at=now - minutes(65))
        clock(s, p, conv, target="next_reply", due_at=now + minutes(25), warn_at=now - minutes(5), warned_at=now)
        clock(s, p, conv, target="resolution", state="paused", target_seconds=86400, calendar_version_id=None,
              spent_seconds=79200, paused_reason="pending")  # fmt: skip
        actor = SYSTEM
        record(s, "sla.applied", actor, conversation_id=conv, policy_id=p.policy.id, policy="Standard", reason="new")
        record(s, "sla.warned", actor, conversation_id=conv, target="next_reply", policy_id=p.policy.id, clock_id=2)
        record(s, "sla.breached", actor, conversation_id=conv, target="first_reply", policy_id=p.policy.id, clock_id=1)
        record(s, "sla.paused", actor, conversation_id=conv, target="resolution", policy_id=p.policy.id, clock_id=3,
               reason="pending")  # fmt: skip
        record(s, "sla.resumed", actor, conversation_id=conv, target="resolution", policy_id=p.policy.id, clock_id=3)
        record(s, "sla.met", actor, conversation_id=conv, target="first_reply", policy_id=p.policy.id, clock_id=1)
    return conv


def _clock(html: str, target: str) -> str:
    found = re.search(rf'<li data-clock="{target}"[^>]*>(.*?)</li>', html, re.S)
    assert found, target
    return " ".join(found.group(1).split())


def test_the_panel_lists_each_clock_in_words(client, signed_in, clocks):
    html = client.get(f"/conversations/{clocks}").text
    assert 'id="clocks-title">Service targets</h2>' in html and "Policy: Standard" in html
    first = _clock(html, "first_reply")
    assert 'class="pill sla-late">Breached</span>' in first and "late by 1 h 5 min" in first
    assert '<li data-clock="first_reply" data-deadline>' in html  # its words move on with the clock (workspace.js)
    assert "Target 4 business hours" in first and "due <time" in first and "CET</time>" in first
    nxt = _clock(html, "next_reply")
    assert 'class="pill sla-warn">Due soon</span>' in nxt and "due in 25 min" in nxt
    assert "Mon 02 Nov 10:25 CET" in nxt  # 09:25 UTC in the agent's timezone
    paused = _clock(html, "resolution")
    assert 'class="pill sla-paused">Paused</span>' in paused and "paused (pending), 2 h left" in paused
    assert "Target 1 day" in paused and "due <time" not in paused and "data-due" not in paused
    order = [m for m in re.findall(r'data-clock="(\w+)"', html)]
    assert order == ["first_reply", "next_reply", "resolution"]


def test_the_panel_fragment_refreshes_the_clocks(client, signed_in, clocks, frozen_clock):
    frozen_clock[0] += timedelta(minutes=10)
    html = client.get(f"/conversations/{clocks}/panel").text
    assert "late by 1 h 15 min" in html and "due in 15 min" in html


def test_the_clock_events_read_as_sentences_on_the_timeline(client, signed_in, clocks):
    html = client.get(f"/conversations/{clocks}/timeline").text
    events = [" ".join(e.split()) for e in re.findall(r'<li class="event"><span>(.*?)</span>', html, re.S)]
    assert events == [
        "Policy Standard sets the service targets (new)",
        "Next reply target due soon",
        "First reply target breached",
        "Resolution clock paused (pending)",
        "Resolution clock resumed",
        "First reply target met",
    ]


def test_without_a_policy_the_panel_says_so(client, world, signed_in, db):
    with db.write() as s:
        conv = conversation(s, world.email_inbox.id)
    html = client.get(f"/conversations/{conv}").text
    assert "No service policy applies to this conversation." in html
    with db.write() as s:
        p = Policy(s)
        conv = conversation(s, world.email_inbox.id, policy=p, customer="Other")
    assert "No target is running on this conversation yet." in client.get(f"/conversations/{conv}").text
