"""What-if replay (sla.whatif) over a generated month of conversations, beside the floor of only reading the rows.

Writes --n conversations created over 30 days (six lifecycle events each: the customer's message, a reply, open,
a second message, a second reply, solved) straight into a fresh database, then times `whatif.replay` of a policy
with three business-hours targets over the 30 days against the floor of reading the same rows (`whatif._stream`
alone). Issue #15 asks for a replay of 30 days of a 1M-conversation history within 10 s: about 165,000
conversations (run it with --n 165000). The replay runs with --processes worker processes (RAPPORT_SLA_WHATIF_PROCESSES;
1: all in this process); "cpu s" counts this process and its workers, and the load average is printed beside it, as
a shared machine stretches the wall clock far more than the CPU time. Prints a table and writes JSON to
bench/results/.

    .venv/bin/python bench/sla_whatif.py --n 165000 [--processes 2] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from rapport.conditions import model as conditions
from rapport.config import Settings, use_settings
from rapport.db.engine import make_engine
from rapport.db.migrate import upgrade
from rapport.db.session import Database
from rapport.kernel.permissions import SYSTEM
from rapport.kit.calendar_spec import Calendar
from rapport.models import BusinessCalendar, CalendarVersion, Conversation, Customer, Event, Inbox
from rapport.sla import whatif

BENCH = Path(__file__).resolve().parent
OFFICE = {"timezone": "Europe/Paris", "weekly": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
          "holidays": {"country": "FR"}}  # fmt: skip


def seed(db: Database, n: int, until: datetime) -> int:
    """N conversations over the 30 days before `until`, six events each; returns the calendar's id."""
    start = until - timedelta(days=30)
    with db.write() as s:
        s.add(Inbox(id=1, name="Mail", channel="email", settings={}, active=True, created_at=start))
        s.add(Customer(id=1, name="Jo", attributes={}, created_at=start, updated_at=start))
        s.add(BusinessCalendar(id=1, name="Office", created_at=start, updated_at=start))
        s.flush()
        spec = Calendar.from_dict(OFFICE).to_dict()
        s.add(CalendarVersion(calendar_id=1, effective_from=start - timedelta(days=1), spec=spec, created_at=start))
    step = timedelta(days=30) / n
    for first in range(0, n, 5000):
        conversations, events = [], []
        for i in range(first, min(n, first + 5000)):
            c = start + step * i
            conversations.append({"id": i + 1, "subject": f"Order {i}", "status": "solved", "priority": "normal",
                                  "channel": "email", "inbox_id": 1, "customer_id": 1, "custom_fields": {},
                                  "created_at": c, "updated_at": c})  # fmt: skip
            for name, after, actor, payload in (
                ("message.received", 0, "customer", {"direction": "inbound", "channel": "email"}),
                ("message.sent", 2, "agent", {"direction": "outbound", "channel": "email"}),
                ("conversation.status_changed", 2, "agent", {"from": "new", "to": "open"}),
                ("message.received", 5, "customer", {"direction": "inbound", "channel": "email"}),
                ("message.sent", 20, "agent", {"direction": "outbound", "channel": "email"}),
                ("conversation.status_changed", 30, "agent", {"from": "open", "to": "solved"}),
            ):
                events.append({"name": name, "occurred_at": c + timedelta(hours=after), "actor_kind": actor,
                               "conversation_id": i + 1, "customer_id": 1, "payload": payload})  # fmt: skip
        with db.write() as s:
            s.execute(insert(Conversation), conversations)
            s.execute(insert(Event), events)
    return 1


def _cpu() -> float:
    """CPU seconds of this process and of its worker processes that have ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    """Seed, time the floor and the replay, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--processes", type=int, default=2, help="RAPPORT_SLA_WHATIF_PROCESSES (1: no workers)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rapport-whatif-"))
    url = args.database_url or f"sqlite:///{folder / 'rapport.db'}"
    use_settings(Settings(data_dir=folder, database_url=url, sla_whatif_processes=args.processes))
    db = Database(make_engine(url))
    upgrade(db.engine)
    until = datetime(2026, 11, 30, tzinfo=UTC)
    calendar_id = seed(db, args.n, until)
    if db.engine.dialect.name == "postgresql":  # the statistics autovacuum would gather on a table this size
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE conversations, events"))
            conn.commit()
    targets = [{"kind": k, "seconds": s, "calendar_id": calendar_id}
               for k, s in (("first_reply", 3600), ("next_reply", 7200), ("resolution", 3 * 86400))]  # fmt: skip
    from rapport.kit import clock

    clock.set_clock(lambda: until)
    figures = {}
    with db.read() as s:
        started, cpu = time.perf_counter(), _cpu()
        read = sum(1 for _ in whatif._stream(s, conditions.parse({"all": []}), until - timedelta(days=30), until))
        figures["floor: read the rows"] = (time.perf_counter() - started, _cpu() - cpu, read)
        started, cpu = time.perf_counter(), _cpu()
        result = whatif.replay(s, SYSTEM, condition=None, targets=targets, days=30)
        figures["replay"] = (time.perf_counter() - started, _cpu() - cpu, result.conversations)
    load = os.getloadavg()[0]
    print(f"{'':24} {'wall s':>8} {'cpu s':>8} {'conversations':>14} {'µs each (cpu)':>14}")
    for name, (wall, cpu, count) in figures.items():
        print(f"{name:24} {wall:8.2f} {cpu:8.2f} {count:14,} {cpu / max(count, 1) * 1e6:14.0f}")
    print(f"processes {args.processes}, load average {load:.1f} on {os.cpu_count()} cores")
    print("targets:", [(t.kind, t.met, t.breached, t.open) for t in result.targets])
    out = BENCH / "results" / "sla_whatif.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"n": args.n, "backend": db.engine.dialect.name, "python": platform.python_version(),
                               "processes": args.processes, "load": load,
                               "figures": {k: {"wall": w, "cpu": c, "count": n} for k, (w, c, n) in figures.items()}},
                              indent=1))  # fmt: skip
    db.engine.dispose()


if __name__ == "__main__":
    main()
