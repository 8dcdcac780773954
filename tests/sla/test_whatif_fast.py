"""What-if speed-ups give the same results: the window shared by worker processes, and the core's cheaper copy."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta

from rapport.config import use_settings
from rapport.kit.calendar_spec import Calendar
from rapport.sla import core, whatif
from tests.sla.conftest import OFFICE
from tests.sla.test_whatif import HOUR, _admin, _history, _reply, _write_in

TARGETS = [
    {"kind": "first_reply", "seconds": HOUR, "business": False},
    {"kind": "resolution", "seconds": 5 * HOUR, "business": False},
]


def _outcome(result: whatif.Result) -> tuple:
    targets = [(t.kind, t.met, t.breached, t.open, t.measured, t.median_seconds, t.p90_seconds) for t in result.targets]
    return result.conversations, targets, result.breaches, result.breaches_total


def test_worker_processes_replay_the_same_as_one(db, world, frozen_clock, settings, monkeypatch):
    _history(db, world, frozen_clock)  # four conversations from 09:00 to 12:00
    frozen_clock[0] += timedelta(minutes=10)
    later = [_write_in(db, world, f"Later {i}", f"late{i}") for i in range(3)]  # 16:10, never answered
    frozen_clock[0] += timedelta(minutes=20)
    _reply(db, world, later[0])
    frozen_clock[0] += timedelta(hours=2)
    serial = {}
    use_settings(settings.model_copy(update={"sla_whatif_processes": 1}))
    for shown in (50, 2):
        with db.read() as s:
            serial[shown] = whatif.replay(s, _admin(world), condition=None, days=1, targets=TARGETS, shown=shown)
    assert serial[50].conversations == 7 and serial[50].breaches_total > 2

    split = []
    replay_ranges = whatif._replay_ranges
    monkeypatch.setattr(whatif, "_replay_ranges", lambda *a: split.append(a[4]) or replay_ranges(*a))
    monkeypatch.setattr(whatif, "SPLIT_MIN", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    use_settings(settings.model_copy(update={"sla_whatif_processes": 3}))
    for shown in (50, 2):
        with db.read() as s:
            parallel = whatif.replay(s, _admin(world), condition=None, days=1, targets=TARGETS, shown=shown)
        assert _outcome(parallel) == _outcome(serial[shown])
    assert [len(ranges) for ranges in split] == [3, 3]  # the window was cut in three: two ranges in workers


def test_a_small_window_or_one_process_is_not_split(db, world, frozen_clock, settings):
    _history(db, world, frozen_clock)
    use_settings(settings.model_copy(update={"sla_whatif_processes": 2}))
    with db.read() as s:  # four conversations, far under SPLIT_MIN
        assert whatif._ranges(s, frozen_clock[0] - timedelta(days=1), frozen_clock[0]) == [
            (frozen_clock[0] - timedelta(days=1), frozen_clock[0])
        ]


def test_the_core_copy_is_dataclasses_replace():
    cal = Calendar.from_dict(OFFICE)
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    clock = core.start("resolution", 8 * HOUR, at, calendar=cal, warn_share=0.25)
    clock, _ = core.fire(clock, at + timedelta(days=3))
    values = {f.name: getattr(clock, f.name) for f in dataclasses.fields(core.Clock)}
    others = {
        "target": "human", "seconds": 60, "started_at": at, "calendar": None, "warn_share": 0.5,
        "state": core.PAUSED, "spent": 7, "running_since": None, "due_at": at, "warn_at": at, "warned_at": None,
        "breached_at": None, "stopped_at": at, "paused_reason": "pending", "measured": 9,
    }  # fmt: skip
    assert set(others) == set(values)  # every field of the clock is tried
    for name, value in others.items():
        assert core._with(clock, **{name: value}) == dataclasses.replace(clock, **{name: value})
    assert core._with(clock, **others) == dataclasses.replace(clock, **others) == core.Clock(**others)
    assert core._with(clock) == clock and core._with(clock) is not clock
