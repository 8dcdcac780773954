"""The supervisor board at scale: how long `/supervisor`'s data takes with a million conversations.

Builds (once per size and backend, cached under bench/data/) a database of synthetic conversations with the demo
generator's status mix by age (most old ones done, recent ones still open), 12 inboxes on six channels, 25
agents, and a small human queue; then times `supervision.service.board` in one read transaction, each of its
statements alone, and beside them the floor of a trivial read (`SELECT 1`) in the same run. Prints a table,
the query plans, and writes JSON to bench/results/.

    .venv/bin/python bench/supervisor.py --conversations 1000000 --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, insert, select, text

from dataset import analyse_db as analyse
from rapport.config import Settings, use_settings
from rapport.db.engine import make_engine
from rapport.db.migrate import upgrade
from rapport.db.session import Database
from rapport.kernel.permissions import Actor
from rapport.models import Agent, Conversation, Customer, Inbox, Team
from rapport.models.enums import Role
from rapport.supervision import repository, service

BENCH = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAYS = 180
INBOXES = [("Support email", "email"), ("Billing email", "email"), ("Sales email", "email"), ("Web chat", "chat"),
           ("Shop chat", "chat"), ("Hotline", "phone"), ("Text us", "sms"), ("WhatsApp", "whatsapp"),
           ("Portal", "portal"), ("Partner API", "api"), ("Returns email", "email"), ("VIP chat", "chat")]  # fmt: skip
# The demo generator's mix (demo/conversations.STATUS_BY_AGE): status weights by the conversation's age.
BY_AGE = (
    (timedelta(days=3), ("done", "open", "pending", "on_hold", "new"), (30, 22, 20, 6, 22)),
    (timedelta(days=12), ("done", "open", "pending", "on_hold", "new"), (70, 8, 12, 6, 4)),
    (timedelta.max, ("done", "open", "pending", "on_hold"), (93, 2, 3, 2)),
)


def build(url: str, folder: Path, conversations: int, *, seed: int = 7) -> Database:
    """A migrated database holding `conversations` synthetic conversations (reused when it already has them)."""
    use_settings(Settings(data_dir=folder, database_url=url))
    folder.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql"):
        _create_database(url)
    db = Database(make_engine(url))
    upgrade(db.engine)
    with db.read() as s:
        have = s.scalar(select(func.count()).select_from(Conversation))
    if have == conversations:
        return db
    if have:
        raise SystemExit(f"{url} holds {have:,} conversations, not {conversations:,}; drop it first")
    rng = random.Random(seed)
    started = time.perf_counter()
    with db.write() as s:
        teams, inbox_ids, agents, customer_ids = _organisation(s, rng)
    batch = []
    for n in range(conversations):
        created = NOW - timedelta(days=DAYS) * (1 - (n / conversations) ** 0.8)  # more recent volume, ids follow time
        age = NOW - created
        for limit, statuses, weights in BY_AGE:
            if age < limit:
                status = rng.choices(statuses, weights)[0]
                break
        status = "closed" if status == "done" and age > timedelta(days=4) else status
        status = "solved" if status == "done" else status
        inbox_id, channel = rng.choice(inbox_ids)
        if channel == "phone" and rng.random() < 0.4:
            channel = "sms"
        last = created + timedelta(minutes=rng.randrange(1, 600))
        last = min(last, NOW)
        human = None
        if status in ("new", "open") and channel in ("chat", "phone") and rng.random() < 0.05:
            human = last
        elif status == "closed" and channel == "chat" and rng.random() < 0.001:
            human = last  # stale flags on closed conversations: the board must skip them
        batch.append({
            "subject": f"Synthetic {n}", "status": status, "priority": "normal", "channel": channel,
            "inbox_id": inbox_id, "customer_id": rng.choice(customer_ids), "custom_fields": {},
            "assignee_id": None if status == "new" and rng.random() < 0.8 else rng.choice(agents),
            "team_id": rng.choice(teams), "reopen_count": 0, "message_count": 3, "last_message_at": last,
            "last_inbound_at": last if status != "new" or rng.random() < 0.98 else None,
            "human_requested_at": human, "created_at": created, "updated_at": last,
        })  # fmt: skip
        if len(batch) == 20_000:
            with db.write() as s:
                s.execute(insert(Conversation), batch)
            batch = []
    if batch:
        with db.write() as s:
            s.execute(insert(Conversation), batch)
    analyse(db)
    print(f"built {conversations:,} conversations in {time.perf_counter() - started:.0f}s", flush=True)
    return db


def _organisation(s, rng: random.Random) -> tuple[list[int], list[tuple[int, str]], list[int], list[int]]:
    """Three teams, the inboxes, 25 agents (most online) and 20,000 customers; their ids."""

    def add(model, **values) -> int:
        return s.execute(insert(model).values(created_at=NOW, **values).returning(model.id)).scalar()

    teams = [add(Team, name=name, description="") for name in ("Support", "Billing", "Sales")]
    inbox_ids = [
        (add(Inbox, name=name, channel=channel, settings={}, active=True, team_id=teams[i % 3]), channel)
        for i, (name, channel) in enumerate(INBOXES)
    ]
    agents = [
        add(Agent, name=f"Agent {i:02d}", email=f"agent{i}@bench.test", role=Role.agent.value, skills=[],
            availability=rng.choices(("online", "away", "offline"), (6, 2, 3))[0], timezone="UTC", active=True)
        for i in range(25)
    ]  # fmt: skip
    people = [{"name": f"Customer {i}", "attributes": {}, "vip": False, "created_at": NOW, "updated_at": NOW}
              for i in range(20_000)]  # fmt: skip
    s.execute(insert(Customer), people)
    return teams, inbox_ids, agents, list(s.scalars(select(Customer.id)))


def _create_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` unless it exists."""
    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres", pool_size=1).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def timed(fn, repeat: int) -> dict:
    """p50 and p95 wall milliseconds of `fn()` over `repeat` runs (after two warm-ups), and this process's CPU p50.

    On SQLite the query runs in this process, so its CPU time is the query's cost even on a busy machine where
    the wall time also counts waiting for a core; on PostgreSQL it is the client's share only.
    """
    for _ in range(2):
        fn()
    runs, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    runs.sort()
    return {
        "p50_ms": round(statistics.median(runs), 2),
        "p95_ms": round(runs[int(0.95 * (len(runs) - 1))], 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
    }


def plans(db: Database) -> dict[str, str]:
    """The query plans of the board's statements on this backend, explained exactly as the driver ran them."""
    statements = {
        "load": repository.load,
        "oldest_waiting": lambda s: repository.oldest_waiting(s, limit=15),
        "human_queue": lambda s: repository.human_queue(s, limit=15),
        "human_queue_size": repository.human_queue_size,
    }
    sqlite = db.engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    out = {}
    for name, fn in statements.items():
        captured: list = []

        def grab(conn, cursor, statement, parameters, context, executemany, _captured=captured):
            _captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            with db.read() as s:
                fn(s)
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        statement, parameters = captured[-1]
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
        out[name] = "\n".join(str(r[-1]) for r in rows)
    return out


def measure(backend: str, url: str, conversations: int, repeat: int) -> dict:
    """Build (or reuse) the database, then time the board, its statements and the floor."""
    db = build(url, BENCH / "data" / f"supervisor-{backend}", conversations)
    actor = Actor(kind="agent", id=0, role=Role.supervisor, name="Bench")

    def read(fn):
        def run():
            with db.read() as s:
                fn(s)

        return run

    with db.read() as s:
        active = s.scalar(
            text("SELECT count(*) FROM conversations WHERE status IN ('new', 'open', 'pending', 'on_hold')")
        )
    result = {
        "backend": backend,
        "conversations": conversations,
        "active": active,
        "floor": timed(read(lambda s: s.execute(text("SELECT 1")).all()), repeat),
        "board": timed(read(lambda s: service.board(s, actor)), repeat),
        "load": timed(read(repository.load), repeat),
        "oldest_waiting": timed(read(lambda s: repository.oldest_waiting(s, limit=15)), repeat),
        "human_queue": timed(read(lambda s: repository.human_queue(s, limit=15)), repeat),
        "human_queue_size": timed(read(repository.human_queue_size), repeat),
        "plans": plans(db),
    }
    db.engine.dispose()
    return result


def table(results: list[dict]) -> str:
    """The figures, one line per backend and statement, beside the floor."""
    lines = [f"{'backend':<12}{'what':<20}{'p50 ms':>10}{'p95 ms':>10}{'cpu p50 ms':>12}"]
    for r in results:
        lines.append(f"{r['backend']:<12}{'conversations':<20}{r['conversations']:>10,} (active {r['active']:,})")
        for key in ("floor", "board", "load", "oldest_waiting", "human_queue", "human_queue_size"):
            f = r[key]
            lines.append(f"{r['backend']:<12}{key:<20}{f['p50_ms']:>10}{f['p95_ms']:>10}{f['cpu_p50_ms']:>12}")
    return "\n".join(lines)


def main() -> None:
    """Parse the arguments, measure each backend, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/rapport_supervisor_bench")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--plans", action="store_true", help="print the query plans too")
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{BENCH / 'data' / f'supervisor-sqlite-{args.conversations}.db'}"
        else:
            url = args.pg_url
        print(f"{backend}: preparing {args.conversations:,} conversations …", flush=True)
        results.append(measure(backend, url, args.conversations, args.repeat))
    print(table(results))
    if args.plans:
        for r in results:
            for name, plan in r["plans"].items():
                print(f"\n[{r['backend']}] {name}\n{plan}")
    out = BENCH / "results" / f"supervisor-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out.relative_to(BENCH.parent)}")


if __name__ == "__main__":
    main()
