"""The inbox's list queries in process: each built-in view's first page, the views' counts and the API's active lists.

A synthetic database of `--conversations` (20,000) conversations with a help desk's status mix (about 10% active,
two in three of those with a service-target deadline, `sla_due_at`, for Due soon and sort by due),
eight agents, a team and three inboxes, analysed; then each list is read `--calls` times in its own read
transaction and the CPU time this process spends on it (SQLite runs in process, so that is the query's cost even
when a busy machine stretches the wall time) is reported as p50/p95 beside the floor of `SELECT 1` in the same run.
Writes bench/results/inbox-lists-<timestamp>.json. Not a test: nothing passes or fails.

    .venv/bin/python bench/inbox_lists.py --database sqlite:////tmp/lists.db
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

import rapport.models  # noqa: F401  (registers every table)
from rapport.agents import service as agents
from rapport.conditions.model import All, Leaf
from rapport.config import Settings, use_settings
from rapport.conversations import repository
from rapport.db.engine import make_engine
from rapport.db.migrate import upgrade
from rapport.db.session import Database
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Conversation, Customer
from rapport.models.enums import Role
from rapport.workspace.conversations import inbox

RESULTS = Path(__file__).parent / "results"
MIX = (["new", "open", "pending", "on_hold", "solved", "closed"], [3, 4, 2, 1, 20, 70])


def build(db: Database, n: int) -> tuple[Actor, int]:
    """The synthetic database; the agent whose views are read and an inbox id."""
    rng = random.Random(7)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with db.write() as s:
        team = agents.create_team(s, SYSTEM, name="Support")
        staff = [
            agents.create_agent(s, SYSTEM, name=f"a{i}", email=f"a{i}@x.test", role=Role.agent, team_ids=[team.id])
            for i in range(8)
        ]
        boxes = [inboxes.create(s, SYSTEM, name=f"i{i}", channel="email", address=f"i{i}@x.test") for i in range(3)]
        customers = [
            {"name": f"c{i}", "segment": rng.choice([None, "smb"]), "vip": False, "attributes": {}, "created_at": t0,
             "updated_at": t0}
            for i in range(n // 4)
        ]  # fmt: skip
        s.execute(insert(Customer), customers)
        rows = []
        for i in range(n):
            at = t0 + timedelta(minutes=i)
            status = rng.choices(*MIX)[0]
            # Active conversations mostly have a deadline; finished ones keep a stale one the index leaves out.
            due = at + timedelta(minutes=rng.randint(-120, 2880)) if rng.random() < 0.66 else None
            rows.append(
                {"subject": "s", "status": status, "priority": "normal", "channel": "email",
                 "inbox_id": rng.choice(boxes).id, "customer_id": rng.randint(1, n // 4),
                 "assignee_id": rng.choice([None, None, *(a.id for a in staff)]),
                 "team_id": rng.choice([None, team.id]),
                 "custom_fields": {}, "reopen_count": 0, "message_count": 1, "created_at": at, "updated_at": at,
                 "last_inbound_at": at, "sla_due_at": due}
            )  # fmt: skip
        s.execute(insert(Conversation), rows)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    actor = Actor(kind="agent", id=staff[0].id, role=Role.agent, name="a0", team_ids=frozenset({team.id}))
    return actor, boxes[1].id


def cpu_times(db: Database, run, calls: int) -> list[float]:
    """CPU seconds of each call (after 10% warm-up calls), each in its own read transaction."""
    out = []
    for i in range(calls + calls // 10):
        with db.read() as s:
            start = time.process_time()
            run(s)
            spent = time.process_time() - start
        if i >= calls // 10:
            out.append(spent)
    return out


def main() -> None:
    """Build, measure, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="sqlite:////tmp/rapport-inbox-lists.db", help="emptied first")
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    use_settings(Settings(data_dir=Path("/tmp/rapport-inbox-lists"), secret_key="bench"))
    engine = make_engine(args.database)
    if engine.dialect.name == "sqlite":
        Path(engine.url.database).unlink(missing_ok=True)
        engine = make_engine(args.database)
    else:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            conn.commit()
    upgrade(engine)
    db = Database(engine)
    actor, inbox_id = build(db, args.conversations)
    active = Leaf(field="status", op="in", value=["new", "open", "pending", "on_hold"])
    cases = {"floor: SELECT 1": lambda s: s.execute(text("SELECT 1"))}
    for key in ("all", "mine", "unassigned", "teams", "waiting", "due"):
        cases[f"view {key}"] = lambda s, key=key: inbox.view(s, actor, key)
    cases["view all by due"] = lambda s: inbox.view(s, actor, "all", sort="due")
    cases["view mine by due"] = lambda s: inbox.view(s, actor, "mine", sort="due")
    cases["view counts"] = lambda s: inbox.counts(s, actor)
    cases["api active"] = lambda s: repository.page(s, All(all=[active]), sort="updated_desc", after=None, limit=51)
    by_inbox = All(all=[active, Leaf(field="inbox", op="eq", value=inbox_id)])
    cases["api active inbox"] = lambda s: repository.page(s, by_inbox, sort="updated_desc", after=None, limit=51)
    results = {}
    print(f"{engine.dialect.name}, {args.conversations} conversations: CPU ms per call")
    print(f"{'list':18} {'p50':>8} {'p95':>8}")
    for name, run in cases.items():
        q = statistics.quantiles(cpu_times(db, run, args.calls), n=100)
        results[name] = {"p50_ms": round(q[49] * 1000, 3), "p95_ms": round(q[94] * 1000, 3)}
        print(f"{name:18} {q[49] * 1000:8.3f} {q[94] * 1000:8.3f}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"inbox-lists-{stamp}.json"
    out.write_text(json.dumps({"backend": engine.dialect.name, "conversations": args.conversations, **results}))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
