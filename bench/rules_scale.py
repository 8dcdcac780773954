"""Issue #16's rules at scale, in process, on bench/sla.py's synthetic help desk of `--conversations` conversations.

The data set (bench/sla.py's `build`: about 10% active, every active conversation and every one created in the last
35 days with its messages and lifecycle events) is written once and kept: by default in
bench/data/rules-<conversations>.db, or in the PostgreSQL database given by --database (reused when it holds it).
Beside it, once: four count rules through the rules service, and their `rule_tallies` as months of counting would
have left them (one per conversation for the customer rules, one per solved conversation for the agent's, one per
twentieth conversation for the reopen), and a time rule and 45 more realistic rules
(bench/rules.py's shapes; 50 in all), all switched off.

1. count conditions: each count rule's `engine.count` (tally the event, count the subject's window) on random
   subjects in one transaction rolled back at the end (as the consumer counts inside its own), p50/p95 beside
   `SELECT 1` and the count query alone the same way; the count query's plan (EXPLAIN QUERY PLAN / EXPLAIN
   ANALYZE) for the subject with the most tallies, and whether it reads ix_rule_tallies_subject;
2. replay: "3rd contact in 7 days" over 30 days of the event log (`rules.replay.replay`), as configured
   (RAPPORT_RULES_REPLAY_MAX_EVENTS) and with the limit raised to the whole window;
3. time rules falling due and 4. ingest with 50 rules + SLA against bare ingest: bench/rules_live.py.

Prints a table and writes bench/results/rules-scale-<timestamp>.json. Not a test.

    .venv/bin/python bench/rules_scale.py --conversations 20000 --time-rules 2000 --time-window 72
    .venv/bin/python bench/rules_scale.py --database postgresql://postgres@127.0.0.1:5432/rapport_rules_bench
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from rapport.config import Settings, get_settings, use_settings
from rapport.db.session import Database
from rapport.kit.clock import now
from rapport.models import Conversation, Event, Rule, RuleTally
from rapport.rules import engine, replay, repository
from rapport.rules import service as rule_service

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import results  # noqa: E402  (bench/results.py)
import rules as shapes  # noqa: E402  (bench/rules.py: the realistic rule conditions)
import rules_live  # noqa: E402  (bench/rules_live.py: time rules and ingest A/B)
import sla  # noqa: E402  (bench/sla.py: the data set, the ingest load, percentiles)

TARGETS = {"count_p95_ms": 1.0, "replay_s": 10.0, "time_p99_s": 5.0, "ingest_ratio": 0.8}
ADMIN = sla.ADMIN
PREFIX = "Bench: "
TAG = {"tags": {"add": ["bench"]}}
COUNT_RULES = {
    # name: (events, conditions, count, per); the tallies a counting history leaves are written in `tallies`.
    "3rd contact in 7 days": (["message.received"], None, {"per": "customer", "window_days": 7, "nth": 3}),
    "2nd reopen": (["conversation.status_changed"],
                   {"all": [{"field": "event.to", "op": "eq", "value": "open"},
                            {"field": "event.from", "op": "eq", "value": "solved"}]},
                   {"per": "conversation", "nth": 2}),
    "every 10th conversation of a customer": (["conversation.created"], None, {"per": "customer", "every": 10}),
    "every 50th conversation an agent solves": (["conversation.status_changed"],
                                                {"field": "event.to", "op": "eq", "value": "solved"},
                                                {"per": "agent", "every": 50}),
}  # fmt: skip
TALLY_SQL = {  # name: (subject, instant, which conversations); the event ids are the conversations' own
    "3rd contact in 7 days": ("customer", "customer_id", "created_at", "1 = 1"),
    "2nd reopen": ("conversation", "id", "updated_at", "id % 20 = 0"),
    "every 10th conversation of a customer": ("customer", "customer_id", "created_at", "1 = 1"),
    "every 50th conversation an agent solves": ("agent", "assignee_id", "solved_at",
                                                "solved_at IS NOT NULL AND assignee_id IS NOT NULL"),
}  # fmt: skip


def definition(events: list[str], conditions: dict | None, actions: list[dict], **extra) -> dict:
    """A rule definition as the API takes it."""
    out = {"events": events, "actions": [{"type": k, "params": v} for a in actions for k, v in a.items()], **extra}
    return out | ({"conditions": conditions} if conditions else {})


def realistic(n: int, seed: int) -> list[dict]:
    """n event rules as a help desk has them: five broad ones that act on much of the traffic (new e-mail tagged,
    VIPs raised, a customer's answer to a pending conversation flagged, solved ones tagged, live channels raised),
    the rest narrow (bench/rules.py's shapes, all of them, behind a word in the message, a rare tag or a plan)."""
    rng = random.Random(seed)
    broad = [
        definition(["conversation.created"], {"field": "channel", "op": "in", "value": ["email"]},
                   [{"tags": {"add": ["email"]}}]),
        definition(["conversation.created"], {"field": "vip", "op": "eq", "value": True},
                   [{"set_priority": {"priority": "high"}}]),
        definition(["message.received"], {"field": "status", "op": "eq", "value": "pending"},
                   [{"tags": {"add": ["customer-replied"]}}]),
        definition(["conversation.status_changed"], {"field": "event.to", "op": "eq", "value": "solved"},
                   [{"tags": {"add": ["was-solved"]}}]),
        definition(["message.received"], {"field": "channel", "op": "in", "value": ["chat", "whatsapp"]},
                   [{"set_priority": {"priority": "high"}}]),
    ]  # fmt: skip
    narrow = [
        lambda: {"field": "message.text", "op": "contains", "value": rng.choice(shapes.WORDS)},
        lambda: {"field": "message.text", "op": "matches", "value": rf"\b{rng.choice(shapes.WORDS)}(s|ed)?\b"},
        lambda: {"field": "tag", "op": "has_any", "value": rng.sample(["churn-risk", "legal", "press"], 2)},
        lambda: {"field": "attribute.plan", "op": "eq", "value": "gold"},
    ]
    names = ["message.received", "conversation.created", "conversation.status_changed", "conversation.tags_changed"]
    actions = [TAG, {"set_priority": {"priority": "high"}}, {"add_note": {"text": "Checked by a rule."}}]
    out = broad[: min(n, len(broad))]
    while len(out) < n:
        tests = [rng.choice(narrow)(), *next(iter(shapes.rule_conditions(rng).values()))[:2]]
        out.append(definition(rng.sample(names, rng.randint(1, 2)), {"all": tests}, [rng.choice(actions)]))
    return out


def prepare(db: Database, *, extra_rules: int = 45) -> dict:
    """The count rules with their tallies, the time rule and `extra_rules` event rules (once; all switched off)."""
    with db.read() as s:
        have = {r.name: r.id for r in s.execute(select(Rule.id, Rule.name).where(Rule.name.like(PREFIX + "%")))}
    if have:
        return have
    started = time.perf_counter()
    with db.write() as s:
        for name, (events, conditions, count) in COUNT_RULES.items():
            rule = rule_service.create(s, ADMIN, name=PREFIX + name, kind="count", enabled=False,
                                       definition_=definition(events, conditions, [TAG], count=count))  # fmt: skip
            s.flush()
            # Bulk, as counting since the data set began would have left them; event ids are the conversations'.
            per, column, at, where = TALLY_SQL[name]
            s.execute(text(f"INSERT INTO rule_tallies (rule_id, subject, event_id, occurred_at) "  # noqa: S608
                           f"SELECT {rule.id}, '{per}:' || CAST({column} AS VARCHAR(20)), id, {at} "
                           f"FROM conversations WHERE {where}"))  # fmt: skip
            have[PREFIX + name] = rule.id
        still = {"field": "status", "op": "in", "value": ["new", "open", "pending", "on_hold", "solved"]}
        timed = definition(["message.received"], still, [TAG], delay={"minutes": 60})
        have[rules_live.TIME_RULE] = rule_service.create(s, ADMIN, name=rules_live.TIME_RULE, kind="time",
                                                         definition_=timed, enabled=False).id  # fmt: skip
        for i, shape in enumerate(realistic(extra_rules, 16)):
            have[f"{PREFIX}rule {i}"] = rule_service.create(s, ADMIN, name=f"{PREFIX}rule {i}", kind="event",
                                                            definition_=shape, enabled=False).id  # fmt: skip
    sla.analyse(db)
    print(f"   rules and tallies written in {time.perf_counter() - started:.1f} s", flush=True)
    return have


# -- 1. count conditions ---------------------------------------------------------------------------------------------


def subjects(db: Database, calls: int, seed: int = 18) -> list:
    """`calls` random conversations (their id, customer and assignee), the subjects of the count evaluations."""
    rng = random.Random(seed)
    with db.read() as s:
        top = s.scalar(select(func.max(Conversation.id)))
        ids = [rng.randint(1, top) for _ in range(calls * 2)]
        rows = s.execute(select(Conversation.id, Conversation.customer_id, Conversation.assignee_id)
                         .where(Conversation.id.in_(ids), Conversation.assignee_id.is_not(None))).all()  # fmt: skip
    rng.shuffle(rows)
    return [rows[i % len(rows)] for i in range(calls)]


def per_call(db: Database, run, calls: int) -> dict:
    """p50/p95 wall and CPU ms of `run(session, i)`, all in one transaction rolled back at the end, as the engine
    counts inside the rules consumer's transaction (10% warm-up)."""
    walls, cpus = [], []
    with Session(db.engine) as s:
        for i in range(calls + calls // 10):
            w, c = time.perf_counter(), time.process_time()
            run(s, i)
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            if i >= calls // 10:
                walls.append(wall * 1000)
                cpus.append(cpu * 1000)
        s.rollback()
    walls.sort()
    cpus.sort()
    return {"p50_ms": sla._rank(walls, 0.5), "p95_ms": sla._rank(walls, 0.95), "cpu_p95_ms": sla._rank(cpus, 0.95),
            "calls": calls}  # fmt: skip


def count_plan(db: Database, rule_id: int, subject: str, since: datetime | None) -> dict:
    """The count query's plan as the driver runs it, and how many tallies the subject has."""
    captured: list = []

    def grab(conn, cursor, sql, parameters, context, executemany):
        captured.append((sql, parameters))

    postgresql = db.engine.dialect.name == "postgresql"
    with Session(db.engine) as s:
        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            counted = repository.count(s, rule_id, subject, since)
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        sql, parameters = captured[-1]
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
        plan = "\n".join(str(r[-1]) for r in s.connection().exec_driver_sql(prefix + sql, parameters).all())
        s.rollback()
    return {"plan": plan, "uses_index": "ix_rule_tallies_subject" in plan, "counted": counted}


def counts(db: Database, ids: dict, calls: int) -> dict:
    """Each count rule's evaluation (tally and count) on random subjects, beside SELECT 1; the plans."""
    with db.read() as s:
        compiled = {row[0]: engine.definition.compile(*row) for row in _all(s)}
    picked = subjects(db, calls)
    stamp, base = now(), 10**12  # event ids no tally has, so each evaluation inserts one (all rolled back)
    out = {"floor": per_call(db, lambda s, i: s.execute(text("SELECT 1")).all(), calls), "rules": {}}
    for name in COUNT_RULES:
        rule = compiled[ids[PREFIX + name]]
        name_of = rule.events and sorted(rule.events)[0]

        def run(s, i, rule=rule, name_of=name_of):
            conv = picked[i % len(picked)]
            happened = engine.Happened(base + i, name_of, stamp, conv.id, conv.customer_id, None, {})
            engine.count(s, rule, happened, SimpleNamespace(customer_id=conv.customer_id, assignee_id=conv.assignee_id))

        figures = per_call(db, run, calls)
        since = stamp - timedelta(days=rule.count.window_days) if rule.count.window_days else None
        subject = {"customer": "customer_id", "conversation": "id", "agent": "assignee_id"}[rule.count.per]
        figures["query_alone"] = per_call(
            db,
            lambda s, i, r=rule, k=subject, w=since: repository.count(
                s, r.rule_id, f"{r.count.per}:{getattr(picked[i % len(picked)], k)}", w
            ),
            calls,
        )
        busiest = _busiest(db, rule.rule_id, since)
        figures["plan"] = count_plan(db, rule.rule_id, busiest, since)
        figures["busiest_subject"] = busiest
        out["rules"][name] = figures
    with db.read() as s:
        out["tallies"] = s.scalar(text("SELECT count(*) FROM rule_tallies"))
    return out


def _all(s) -> list:
    """Every rule's compile arguments (switched off or not)."""
    return [(r.id, r.name, r.kind, r.position, r.version_id, v.number, v.definition)
            for r in s.scalars(select(Rule)) for v in [repository.version(s, r.version_id)]]  # fmt: skip


def _busiest(db: Database, rule_id: int, since: datetime | None) -> str:
    """The subject with the most tallies in the window (the plan is shown for the worst case)."""
    query = select(RuleTally.subject).where(RuleTally.rule_id == rule_id).group_by(RuleTally.subject)
    if since is not None:
        query = query.where(RuleTally.occurred_at > since)
    with db.read() as s:
        found = s.scalar(query.order_by(func.count().desc()).limit(1))
    return found or _busiest(db, rule_id, None) if since else found


# -- 2. replay -------------------------------------------------------------------------------------------------------


def replay_month(db: Database, days: int = 30) -> dict:
    """ "3rd contact in 7 days" replayed over `days` days, as configured and with the event limit raised."""
    events, conditions, count = COUNT_RULES["3rd contact in 7 days"]
    shape = definition(events, conditions, [TAG], count=count)
    with db.read() as s:
        since = now() - timedelta(days=days)
        in_window = s.scalar(select(func.count()).select_from(Event).where(Event.occurred_at >= since))
        wanted = s.scalar(select(func.count()).select_from(Event).where(Event.occurred_at >= since,
                                                                         Event.name.in_(events)))  # fmt: skip
    out = {"days": days, "events_in_window": in_window, "events_per_day": round(in_window / days),
           "rule_events_in_window": wanted}  # fmt: skip
    configured = get_settings()
    for label, limit in (("configured", configured.rules_replay_max_events), ("whole", max(wanted + 1, 100))):
        use_settings(configured.model_copy(update={"rules_replay_max_events": limit}))
        try:
            with db.read() as s:
                w, c = time.perf_counter(), time.process_time()
                done = replay.replay(s, ADMIN, kind="count", definition_=shape, days=days)
                wall, cpu = time.perf_counter() - w, time.process_time() - c
                out[label] = {
                    "seconds": round(wall, 3),
                    "cpu_s": round(cpu, 3),
                    "limit": limit,
                    **{k: done[k] for k in ("events_read", "truncated", "fired", "conversations")},
                }
        finally:
            use_settings(configured)
    return out


# -- the run ---------------------------------------------------------------------------------------------------------


def table(r: dict) -> str:
    """The figures against issue #16's targets."""
    lines = []
    floor = r["counts"]["floor"]
    for name, f in r["counts"]["rules"].items():
        lines.append((f"count: {name}", f"≤ {TARGETS['count_p95_ms']} ms",
                      f"p95 {f['p95_ms']} ms (p50 {f['p50_ms']}, CPU p95 {f['cpu_p95_ms']}; the count query alone "
                      f"p95 {f['query_alone']['p95_ms']}, CPU {f['query_alone']['cpu_p95_ms']}; SELECT 1 p95 "
                      f"{floor['p95_ms']}, CPU {floor['cpu_p95_ms']}; index "
                      f"{'yes' if f['plan']['uses_index'] else 'NO'}, busiest subject "
                      f"{f['plan']['counted']:,} tallies)",
                      f["p95_ms"] <= TARGETS["count_p95_ms"] and f["plan"]["uses_index"]))  # fmt: skip
    rp = r["replay"]
    for label in ("configured", "whole"):
        x = rp[label]
        lines.append((f"replay 30 days ({label} limit {x['limit']:,})", f"≤ {TARGETS['replay_s']} s",
                      f"{x['seconds']} s (CPU {x['cpu_s']}; {x['events_read']:,} events read"
                      f"{', truncated' if x['truncated'] else ''}; fired {x['fired']:,})",
                      x["seconds"] <= TARGETS["replay_s"]))  # fmt: skip
    tr, ing = r["time_rules"], r["ingest"]
    lines.append(
        (
            "time rules fired after their instant, p99",
            f"≤ {TARGETS['time_p99_s']} s",
            f"{tr['p99_s']} s (p50 {tr['p50_s']}, max {tr['max_s']}; {tr['fired']:,}/{tr['due']:,} due "
            f"over {tr['window_s']} s = {tr['per_s']}/s, {tr['x_hour_rate']}× 100k/hour)",
            tr["p99_s"] is not None and tr["fired"] == tr["due"] and tr["p99_s"] <= TARGETS["time_p99_s"],
        )
    )
    lines.append(
        (
            "ingest with 50 rules + SLA / bare",
            f"≥ {TARGETS['ingest_ratio']}",
            f"{ing['ratio']} ({ing['rate_on']:,.0f} / {ing['rate_off']:,.0f} msg/s, rules consumer caught up; "
            f"CPU {ing['cpu_ms_on']} / {ing['cpu_ms_off']} ms/msg)",
            ing["ratio"] >= TARGETS["ingest_ratio"],
        )
    )
    out = [f"{r['backend']}, {r['conversations']:,} conversations, {r['counts']['tallies']:,} tallies, "
           f"{rp['events_per_day']:,} events a day over the last 30 days, load average "
           f"{tuple(round(x, 2) for x in r['loadavg'])}", f"{'figure':<48}{'target':<10}{'met':<5}value"]  # fmt: skip
    out += [f"{name:<48}{target:<10}{'yes' if ok else 'NO':<5}{value}" for name, target, value, ok in lines]
    for name, f in r["counts"]["rules"].items():
        out.append(f"\ncount query plan, {name} ({f['busiest_subject']}):\n{f['plan']['plan']}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> dict:
    """Every step, in order; the result as written to JSON."""
    settings = Settings(data_dir=Path("/tmp/rapport-rules-bench"), secret_key="bench", database_url=args.database)
    use_settings(settings)
    sys.setswitchinterval(settings.switch_interval(serving=False))
    db = sla.open_database(args.database, drop=args.drop)
    with db.read() as s:
        have = s.scalar(select(func.count()).select_from(Conversation))
    built = None
    if not have:
        print(f"building {args.conversations:,} conversations …", flush=True)
        built = sla.build(db, args.conversations, days=180, event_days=35)
        print(f"built in {built['seconds']} s: {built}", flush=True)
    ids = prepare(db)
    print("1. count conditions …", flush=True)
    counted = counts(db, ids, args.calls)
    print("2. replay …", flush=True)
    replayed = replay_month(db)
    print("3. time rules …", flush=True)
    fired = rules_live.time_rules(db, ids[rules_live.TIME_RULE], count=args.time_rules, window=args.time_window)
    print("4. ingest A/B …", flush=True)
    ingested = rules_live.ingest(db, ids, rounds=args.rounds, per_round=args.round_messages,
                                 concurrency=args.concurrency)  # fmt: skip
    db.engine.dispose()
    return {"backend": db.engine.dialect.name, "conversations": have or args.conversations, "args": vars(args),
            "at": datetime.now(UTC).isoformat(timespec="seconds"), "loadavg": os.getloadavg(),
            "python": platform.python_version(), "targets": TARGETS, "built": built, "counts": counted,
            "replay": replayed, "time_rules": fired, "ingest": ingested}  # fmt: skip


def main() -> None:
    """Parse the arguments, build if needed, measure, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--database", help="default: SQLite at bench/data/rules-<conversations>.db")
    parser.add_argument("--drop", action="store_true", help="empty the database first (build again)")
    parser.add_argument("--calls", type=int, default=2000, help="count evaluations per rule")
    parser.add_argument("--time-rules", type=int, default=100_000, help="time rules' waits falling due")
    parser.add_argument("--time-window", type=float, default=3600.0, help="seconds they fall due over")
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds of each of A and B")
    parser.add_argument("--round-messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if not args.database:
        (BENCH / "data").mkdir(exist_ok=True)
        args.database = f"sqlite:///{BENCH / 'data' / f'rules-{args.conversations}.db'}"
    result = run(args)
    print(table(result))
    results.save("rules-scale", result)


if __name__ == "__main__":
    main()
