"""The routing decision, pure: availability, skills, room, stickiness, balance and round robin, with the reason."""

from __future__ import annotations

from rapport.routing.decide import Candidate, Need, decide


def agent(agent_id: int, *, load: float = 0, capacity: int = 5, skills=(), available=True, **more) -> Candidate:
    return Candidate(agent_id, f"A{agent_id}", available, frozenset(skills), capacity, load, **more)


def test_balanced_takes_the_largest_share_of_spare_capacity():
    chosen = decide(Need("Support"), [agent(1, load=3), agent(2, load=1), agent(3, load=4, capacity=10)])
    assert chosen.agent_id == 2
    assert chosen.ranked == (2, 3, 1)  # 4/5 spare, 6/10 spare, 2/5 spare
    assert (chosen.why.outcome, chosen.why.rank, chosen.why.considered) == ("assigned", 1, 3)
    assert (chosen.why.load, chosen.why.capacity, chosen.why.queue) == (1, 5, "Support")


def test_unavailable_and_full_agents_are_passed_over():
    need = Need("Support")
    assert decide(need, [agent(1, available=False), agent(2, load=5), agent(3, load=4)]).agent_id == 3
    assert decide(need, [agent(1, available=False)]).why.outcome == "no_agent_available"
    assert decide(need, [agent(2, load=5)]).why.outcome == "no_capacity"
    # A heavier channel does not fit where a light one would; a channel cap counts conversations on it.
    assert decide(need, [agent(4, load=4, weight=2.0)]).why.outcome == "no_capacity"
    assert decide(need, [agent(5, channel_count=2, channel_cap=2)]).why.outcome == "no_capacity"


def test_required_skills_filter_and_preferred_skills_rank():
    pool = [agent(1, skills={"en"}), agent(2, skills={"de"}, load=3), agent(3, skills={"de", "billing"}, load=4)]
    need = Need("Support", required=frozenset({"de"}), preferred=frozenset({"billing"}))
    chosen = decide(need, pool)
    assert chosen.agent_id == 3 and chosen.why.skills == ("billing", "de")
    missing = decide(Need("Support", required=frozenset({"fr"})), pool)
    assert (missing.agent_id, missing.why.outcome, missing.why.missing) == (None, "no_skilled_agent", ("fr",))


def test_a_returning_customer_sticks_to_their_agent_when_they_have_room():
    pool = [agent(1, load=4), agent(2)]
    chosen = decide(Need("Support", sticky_agent_id=1), pool)
    assert (chosen.agent_id, chosen.why.sticky, chosen.why.rank) == (1, True, 2)
    # Away or full: the balance decides.
    assert decide(Need("Support", sticky_agent_id=1), [agent(1, load=5), agent(2)]).agent_id == 2
    assert decide(Need("Support", sticky_agent_id=1), [agent(1, available=False), agent(2)]).agent_id == 2


def test_round_robin_takes_the_next_agent_after_the_cursor_in_a_ring():
    pool = [agent(3), agent(1, load=4), agent(2)]
    assert decide(Need("S", mode="round_robin"), pool).agent_id == 1
    assert decide(Need("S", mode="round_robin", cursor_agent_id=1), pool).agent_id == 2
    assert decide(Need("S", mode="round_robin", cursor_agent_id=3), pool).agent_id == 1


def test_manual_assigns_nobody():
    decision = decide(Need("S", mode="manual"), [agent(1)])
    assert (decision.agent_id, decision.why.outcome) == (None, "manual")
