"""Following merged conversations: chains to their end in a round per hop, loops stopped, ownership kept."""

from __future__ import annotations

from types import SimpleNamespace

from rapport.conversations.lifecycle import merges


def _rows(**links):
    """Rows named c<id> with merged_into_id from `links` (c1=2: conversation 1 was merged into 2)."""
    return {int(k[1:]): SimpleNamespace(id=int(k[1:]), merged_into_id=v) for k, v in links.items()}


def test_follow_reads_each_hop_once_and_surviving_walks_to_the_end():
    table = _rows(c1=2, c2=3, c3=None, c4=None)
    rounds = []

    def fetch(ids):
        rounds.append(sorted(ids))
        return [table[i] for i in ids if i in table]

    rows = merges.follow(fetch, {1, 4, 9})
    assert rounds == [[1, 4, 9], [2], [3]]
    assert merges.surviving(rows, 1).id == 3 and merges.surviving(rows, 4).id == 4
    assert merges.surviving(rows, 9) is None
    assert merges.follow(fetch, {1}, rows) == rows and len(rounds) == 3  # what is known is not read again


def test_a_loop_an_interrupted_write_could_leave_ends_the_walk():
    rows = _rows(c1=2, c2=1)
    assert merges.surviving(rows, 1).id in (1, 2)


def test_a_reference_is_followed_only_to_the_senders_own_conversation():
    assert merges.own([(5, 20), (6, 10)], 10) == 6
    assert merges.own([(5, 20)], 10) is None
    assert merges.own([(5, 20)], None) is None
