"""bench/rules_scale.py's parts that run the worker: time rules falling due, and ingest with rules against bare ingest.

Both run `rapport.worker.runner.Worker` in a thread of this process, as `rapport serve` and `rapport worker` run it
(event consumers, then due jobs on RAPPORT_WORKER_THREADS threads). Before it starts, every event consumer's cursor
is put at the end of the log: the data set's history was written in bulk and is not what is measured.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import case, delete, func, select, update

from rapport.config import get_settings
from rapport.db.bulk import dialect_insert
from rapport.db.session import Database
from rapport.events import bus, consumers
from rapport.kit.clock import now
from rapport.models import Conversation, Event, EventCursor, Job, SlaPolicy
from rapport.rules import service as rule_service
from rapport.rules import timed
from rapport.worker.runner import Worker, load_handlers

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sla  # noqa: E402  (bench/sla.py)

TIME_RULE = "Bench: remind 60 minutes after the last customer message"
HOUR_RATE = 100_000 / 3600  # the load: 100,000 time rules due in one hour
PLANT_BATCH = 1000  # waits scheduled per transaction
CATCH_UP_S = 300.0  # how long a round may wait for the consumers
# A firing whose action was refused (a closed conversation is read-only) is recorded as rule.failed: it fired too.
FIRED = ("rule.executed", "rule.failed")


def skip_history(db: Database) -> int:
    """Every consumer's cursor at the end of the log (the bulk-written history is not measured); the last id."""
    load_handlers()
    with db.write() as s:
        last = s.scalar(select(func.max(Event.id))) or 0
        for name in consumers.CONSUMERS:
            row = {"name": name, "last_id": last, "updated_at": now(), "attempts": 0}
            s.execute(dialect_insert(s, EventCursor).values(**row).on_conflict_do_nothing())
            s.execute(update(EventCursor).where(EventCursor.name == name).values(last_id=last, attempts=0))
    return last


def set_rules(db: Database, rule_ids: list[int], enabled: bool) -> None:
    """Switch the rules on or off through the service."""
    with db.write() as s:
        for rule_id in rule_ids:
            rule_service.update(s, sla.ADMIN, rule_id, enabled=enabled)


# -- 3. time rules ---------------------------------------------------------------------------------------------------


def time_rules(db: Database, rule_id: int, *, count: int, window: float, lead: float | None = None) -> dict:
    """`count` waits of the time rule (one per conversation, each after its latest customer message) falling due at
    an even rate over `window` seconds, scheduled through `rules.timed.plan` while the worker runs; the lateness of
    each firing: when its `rule.executed` was published after commit, minus its instant."""
    with db.read() as s:  # conversations not closed first (a closed one is read-only: its firing fails, recorded)
        closed = case((Conversation.status == "closed", 1), else_=0)
        rows = s.execute(select(Event.conversation_id, func.max(Event.id)).join(Conversation,
                         Conversation.id == Event.conversation_id).where(Event.name == "message.received")
                         .group_by(Event.conversation_id, closed).order_by(closed).limit(count)).all()  # fmt: skip
    if len(rows) < count:
        raise SystemExit(f"{count:,} time rules need as many conversations with a message; the data set has "
                         f"{len(rows):,}: lower --time-rules or build more conversations.")  # fmt: skip
    skip_history(db)
    set_rules(db, [rule_id], True)
    lead = lead if lead is not None else 5.0 + count / 2000  # time to schedule them before the first is due
    first = now() + timedelta(seconds=lead)
    due = {cid: first + timedelta(seconds=window * i / count) for i, (cid, _) in enumerate(rows)}
    seen: dict[int, float] = {}
    failed, done = [0], threading.Event()

    def published(events) -> None:
        at = time.time()
        for e in events:
            if e.name in FIRED and e.payload.get("rule_id") == rule_id and e.conversation_id in due:
                seen.setdefault(e.conversation_id, at - due[e.conversation_id].timestamp())
                failed[0] += e.name == "rule.failed"
        if len(seen) >= count:
            done.set()

    bus.subscribe(published)
    worker = Worker(db, threads=get_settings().worker_threads)
    worker.start()
    cpu = time.process_time()
    planted = time.perf_counter()
    try:
        for start in range(0, count, PLANT_BATCH):
            with db.write() as s:
                for cid, event_id in rows[start : start + PLANT_BATCH]:
                    timed.plan(s, rule_id, cid, event_id, 0, due[cid])
        planted = time.perf_counter() - planted
        done.wait(max(0.0, (first - now()).total_seconds()) + window + 60)
    finally:
        worker.stop()
        worker.join(60)
        bus.unsubscribe(published)
        set_rules(db, [rule_id], False)
        with db.write() as s:
            left = s.execute(delete(Job).where(Job.kind == timed.JOB)).rowcount
    late = sorted(seen.values())
    return {"due": count, "fired": len(late), "failed": failed[0], "left_unfired": left, "window_s": window,
            "per_s": round(count / window, 1), "x_hour_rate": round(count / window / HOUR_RATE, 2),
            "lead_s": round(lead, 1), "plant_s": round(planted, 1), "p50_s": sla._rank(late, 0.5),
            "p99_s": sla._rank(late, 0.99), "max_s": round(late[-1], 3) if late else None,
            "cpu_s": round(time.process_time() - cpu, 1), "threads": get_settings().worker_threads}  # fmt: skip


# -- 4. ingest A/B ---------------------------------------------------------------------------------------------------


def policies(db: Database) -> list[int]:
    """bench/sla.py's five SLA policies (made and applied to the active conversations the first time)."""
    with db.read() as s:
        ids = list(s.scalars(select(SlaPolicy.id).order_by(SlaPolicy.id)))
    return ids or sla.set_up(db)["policy_ids"]


def caught_up(db: Database, last: int) -> bool:
    """Every consumer has passed event `last`."""
    with db.read() as s:
        behind = s.scalar(select(func.count()).select_from(EventCursor).where(EventCursor.last_id < last))
    return not behind


def round_trip(db: Database, intake, load, count: int, concurrency: int) -> dict:
    """One round: `count` messages through the intake, until every consumer (the rules') has handled their events."""
    started, cpu = time.perf_counter(), time.process_time()
    done = sla.ingest_round(intake, load, count, concurrency)
    with db.read() as s:
        last = s.scalar(select(func.max(Event.id)))
    waited = time.perf_counter()
    while not caught_up(db, last) and time.perf_counter() - waited < CATCH_UP_S:
        time.sleep(0.02)  # the worker runs in another thread: this only watches it
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"messages": count, "intake_s": done["seconds"], "seconds": round(wall, 3),
            "caught_up": caught_up(db, last), "rate": round(count / wall, 1),
            "cpu_ms_per_message": round(cpu / count * 1000, 3)}  # fmt: skip


def ingest(db: Database, ids: dict, *, rounds: int, per_round: int, concurrency: int) -> dict:
    """Interleaved rounds with the 50 rules and the SLA policies on (A) and all off (B), the worker running."""
    policy_ids, rule_ids = policies(db), sorted(ids.values())
    intake, load = sla.CountingIntake(db), sla.Messages(db)
    skip_history(db)
    worker = Worker(db, threads=get_settings().worker_threads)
    worker.start()
    out: dict[str, list] = {"on": [], "off": []}

    def state(on: bool) -> None:
        sla.set_active(db, policy_ids, on)
        set_rules(db, rule_ids, on)

    try:
        for warm in (True, False):
            state(warm)
            round_trip(db, intake, load, max(per_round // 10, concurrency), concurrency)
        for _ in range(rounds):
            for on in (True, False):
                state(on)
                out["on" if on else "off"].append(round_trip(db, intake, load, per_round, concurrency))
    finally:
        worker.stop()
        worker.join(60)
        state(False)
        with db.write() as s:
            s.execute(delete(Job).where(Job.kind == timed.JOB))

    def rate(key: str) -> float:
        return sum(r["messages"] for r in out[key]) / sum(r["seconds"] for r in out[key])

    return {"rounds": out, "rules": len(rule_ids), "policies": len(policy_ids), "rate_on": round(rate("on"), 1),
            "rate_off": round(rate("off"), 1), "ratio": round(rate("on") / rate("off"), 3),
            "cpu_ms_on": round(statistics.median(r["cpu_ms_per_message"] for r in out["on"]), 3),
            "cpu_ms_off": round(statistics.median(r["cpu_ms_per_message"] for r in out["off"]), 3),
            "concurrency": concurrency}  # fmt: skip
