"""Surveys at scale (issue #17): the report over many conversations and answers, the customer's survey page, and
the rate answers are recorded, each beside a floor measured in the same run.

1. **Report**: a database of --conversations synthetic conversations (the supervisor bench's builder, cached under
   bench/data/) with --answers answered surveys (each a CSAT and, for half, an expectations answer) among the
   surveys sent (a 30 % response rate), over 180 days; then `surveys.reporting.survey_report` for four slices
   (the last 30 days, 180 days, one channel over 90 days, one agent over 180 days), --repeat times each, p50/p95
   in one read transaction; the floor is `SELECT 1` in the same transaction.
2. **Survey page** (`--serve`): Rapport under uvicorn with 2 workers on this database; wrk GETs distinct valid
   links `/survey/{id}/{token}` with one connection (p50/p95, server and network on loopback) beside the floor app's
   `/hello` served the same way.
3. **Answer recording** (`--serve`): wrk POSTs answers at concurrency 32 to 2 workers, each request to its own
   link (--links links made first, in bulk, with their tokens' hashes stored as sending does); the rate of
   answers recorded (303) per second, beside the floor's rate.

Not measured here: 100,000 surveys falling due within an hour (the send job's scan) — see bench/README.md.

    .venv/bin/python bench/surveys.py --conversations 1000000 --answers 200000 --serve
    .venv/bin/python bench/surveys.py --conversations 20000 --answers 4000 --serve --seconds 5   # a quick run
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text, update

from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.secrets import token_hash
from rapport.models import Agent, Conversation, Survey, SurveyAnswer, SurveyRequest
from rapport.models.enums import Role
from rapport.surveys import reporting, service
from rapport.surveys.schemas import Question, Rules

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import server  # noqa: E402  (bench/server.py)
import supervisor  # noqa: E402  (bench/supervisor.py: the conversations' builder)
from results import save  # noqa: E402
from run import wrk  # noqa: E402

NOW = supervisor.NOW
TARGETS = {"report_p95_ms": 300, "page_p95_ms": 20, "answers_per_s": 1000}
QUESTIONS = [
    Question(key="csat", kind="csat", prompt="How would you rate the support you received?", points=5),
    Question(key="expectations", kind="expectations", prompt="How did our service compare with what you expected?"),
]
BATCH = 20_000


def add_surveys(db, answers: int, *, seed: int = 17) -> int:
    """A survey and its requests over the conversations: `answers` answered (30 % of those sent); the survey's id."""
    with db.read() as s:
        survey_id = s.scalar(select(Survey.id).where(Survey.name == "Bench"))
    if survey_id is not None:
        return survey_id
    rng = random.Random(seed)
    with db.write() as s:
        survey = service.create(s, SYSTEM, name="Bench", questions=QUESTIONS, rules=Rules())
        survey_id, version_id = survey.id, survey.current_version_id
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(Conversation))
    sent = min(total, round(answers / 0.3))
    step = total / sent
    started, done = time.perf_counter(), 0
    with db.read() as s:
        convs = s.execute(
            select(Conversation.id, Conversation.customer_id, Conversation.channel, Conversation.created_at)
            .order_by(Conversation.id)
        ).all()  # fmt: skip
    chosen = [convs[int(i * step)] for i in range(sent)]
    requests, rows = [], []
    for n, (conv_id, customer_id, channel, created) in enumerate(chosen):
        at = min(created + timedelta(hours=rng.randint(2, 72)), NOW)
        answered = n % 10 < 3
        requests.append({
            "survey_id": survey_id, "version_id": version_id, "conversation_id": conv_id,
            "customer_id": customer_id, "channel": channel if channel in ("email", "sms", "whatsapp") else "email",
            "target": "", "state": "answered" if answered else "expired", "reason": "", "sent_at": at,
            "answered_at": at + timedelta(hours=1) if answered else None, "expires_at": at + timedelta(days=7),
            "created_at": at, "updated_at": at,
        })  # fmt: skip
        if len(requests) == BATCH or n == len(chosen) - 1:
            with db.write() as s:
                ids = s.execute(insert(SurveyRequest).returning(SurveyRequest.id, SurveyRequest.state), requests).all()
                for request_id, state in ids:
                    if state != "answered" or done >= answers:
                        continue
                    score = rng.choices((1, 2, 3, 4, 5), (8, 7, 12, 30, 43))[0]
                    rows.append({"request_id": request_id, "question": "csat", "kind": "csat", "score": score,
                                 "created_at": NOW, "updated_at": NOW})  # fmt: skip
                    done += 1
                    if rng.random() < 0.5 and done < answers:
                        rows.append({"request_id": request_id, "question": "expectations", "kind": "expectations",
                                     "score": 1 if score < 3 else 2 if score < 5 else 3,
                                     "choice": ("failed", "met", "exceeded")[0 if score < 3 else 1 if score < 5 else 2],
                                     "created_at": NOW, "updated_at": NOW})  # fmt: skip
                        done += 1
                if rows:
                    s.execute(insert(SurveyAnswer), rows)
            requests, rows = [], []
    supervisor.analyse(db)
    print(f"laid down {sent:,} surveys sent and {done:,} answers in {time.perf_counter() - started:.0f}s", flush=True)
    return survey_id


def links(db, survey_id: int, count: int, folder: Path) -> Path:
    """`count` fresh links (requests `sent`, never answered) written one path a line; the file's path."""
    rng = random.Random(count)
    with db.read() as s:
        version_id = s.get(Survey, survey_id).current_version_id
        convs = s.execute(select(Conversation.id, Conversation.customer_id).order_by(Conversation.id.desc())
                          .limit(count)).all()  # fmt: skip
    with db.write() as s:  # the previous run's links are spent: start again from fresh ones
        s.execute(update(SurveyRequest).where(SurveyRequest.target == "bench-link").values(target="bench-spent"))
    paths = []
    for start in range(0, len(convs), BATCH):
        batch, tokens = [], []
        for conv_id, customer_id in convs[start : start + BATCH]:
            token = f"rsv_{rng.getrandbits(256):064x}"
            tokens.append(token)
            batch.append({
                "survey_id": survey_id, "version_id": version_id, "conversation_id": conv_id,
                "customer_id": customer_id, "channel": "email", "target": "bench-link", "state": "sent", "reason": "",
                "token_hash": token_hash(token), "sent_at": NOW, "expires_at": NOW + timedelta(days=3650),
                "created_at": NOW, "updated_at": NOW,
            })  # fmt: skip
        with db.write() as s:
            # A conversation has one request per survey: its earlier one (answered or not) gives way to the link.
            s.execute(SurveyRequest.__table__.delete().where(
                SurveyRequest.conversation_id.in_([b["conversation_id"] for b in batch]),
                SurveyRequest.survey_id == survey_id))  # fmt: skip
            ids = s.execute(insert(SurveyRequest).returning(SurveyRequest.id), batch).scalars().all()
        paths += [f"/survey/{i}/{t}" for i, t in zip(ids, tokens, strict=True)]
    out = folder / f"links-{count}.txt"
    out.write_text("\n".join(paths) + "\n")
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of seconds, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def measure_report(db, survey_id: int, repeat: int) -> list[dict]:
    """Each slice's p50/p95 over `repeat` runs, and the floor, in one read transaction."""
    with db.read() as s:
        agent_id = s.scalar(select(Agent.id).order_by(Agent.id).limit(1))
        actor = Actor(kind="agent", id=agent_id, role=Role.admin)
        today = NOW.date()
        slices = {
            "report, last 30 days": reporting.Slice(survey_id=survey_id, until=today),
            "report, 180 days": reporting.Slice(survey_id=survey_id, since=today - timedelta(days=179), until=today),
            "report, email, 90 days": reporting.Slice(
                survey_id=survey_id, since=today - timedelta(days=89), until=today, channel="email"
            ),
            "report, one agent, 180 days": reporting.Slice(
                survey_id=survey_id, since=today - timedelta(days=179), until=today, agent_id=agent_id, by="team"
            ),
        }
        rows = []
        floor = []
        for _ in range(repeat):
            started = time.perf_counter()
            s.execute(text("SELECT 1")).scalar()
            floor.append(time.perf_counter() - started)
        rows.append({"case": "floor: SELECT 1", "p50_ms": pct(floor, 0.5), "p95_ms": pct(floor, 0.95)})
        for name, sl in slices.items():
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                got = reporting.survey_report(s, actor, sl)
                times.append(time.perf_counter() - started)
            answered = got.questions[0].answers if got.questions else 0
            rows.append({"case": name, "p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95),
                         "answers": answered, "sent": got.totals.sent})  # fmt: skip
    return rows


def measure_http(target: dict, port: int, link_file: Path, seconds: int, links_count: int, db, survey_id) -> list:
    """The survey page at one connection and answers at c32, each beside the floor app at the same load."""
    rows = []
    with server.floor(port + 1) as floor_url:
        paths = BENCH / "results" / ".floor-paths.txt"
        paths.parent.mkdir(exist_ok=True)
        paths.write_text("/hello\n")
        single = wrk(floor_url, "paths.lua", connections=1, threads=1, seconds=seconds, env={"WRK_PATHS": str(paths)})
        c32 = wrk(floor_url, "paths.lua", connections=32, threads=2, seconds=seconds, env={"WRK_PATHS": str(paths)})
    rows.append({"case": "floor: GET /hello, 1 connection", "p50_ms": single["latency_us"]["p50"] / 1000,
                 "p95_ms": single["latency_us"]["p95"] / 1000, "rate": single["rate"]})  # fmt: skip
    rows.append({"case": "floor: GET /hello, c32", "p95_ms": c32["latency_us"]["p95"] / 1000, "rate": c32["rate"]})
    # Answers come from many customers: wrk names each one's address in X-Forwarded-For, which uvicorn takes from
    # loopback; the budget is lifted too, so a repeated address is never refused.
    env = {"RAPPORT_SURVEY_ANSWERS_PER_CLIENT_PER_HOUR": str(10**9), "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with server.rapport(target, port, env=env) as (url, _pids):
        page = wrk(url, "paths.lua", connections=1, threads=1, seconds=seconds, env={"WRK_PATHS": str(link_file)})
        rows.append({"case": "survey page, 1 connection", "p50_ms": page["latency_us"]["p50"] / 1000,
                     "p95_ms": page["latency_us"]["p95"] / 1000, "rate": page["rate"],
                     "errors": page["errors"]["status"]})  # fmt: skip
        answers = wrk(url, "survey_answers.lua", connections=32, threads=2, seconds=seconds,
                      env={"WRK_PATHS": str(link_file), "WRK_THREADS": "2"})  # fmt: skip
    recorded = answers["requests"] - answers["errors"]["status"]
    with db.read() as s:
        stored = s.scalar(select(func.count()).select_from(SurveyRequest)
                          .where(SurveyRequest.target == "bench-link", SurveyRequest.state == "answered"))  # fmt: skip
    rows.append({"case": "answers recorded, c32", "p95_ms": answers["latency_us"]["p95"] / 1000,
                 "rate": recorded / (answers["duration_us"] / 1e6), "refused": answers["errors"]["status"],
                 "stored": stored, "links": links_count})  # fmt: skip
    if recorded >= links_count:
        print("  ! every link was spent before the end: pass more --links", file=sys.stderr)
    return rows


def main() -> None:
    """Build, measure, print the table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--answers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/rapport_bench_surveys")
    parser.add_argument("--serve", action="store_true", help="also the survey page and answer recording over HTTP")
    parser.add_argument("--links", type=int, default=30_000, help="fresh links for the HTTP phases")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8620, help="Rapport's port; the floor app takes the next one")
    args = parser.parse_args()
    folder = BENCH / "data" / f"surveys-{args.backend}-{args.conversations}"
    url = f"sqlite:///{folder / 'rapport.db'}" if args.backend == "sqlite" else args.database_url
    db = supervisor.build(url, folder, args.conversations)
    survey_id = add_surveys(db, args.answers)
    rows = measure_report(db, survey_id, args.repeat)
    if args.serve:
        link_file = links(db, survey_id, min(args.links, args.conversations), folder)
        target = {"url": url, "data_dir": folder}
        rows += measure_http(target, args.port, link_file, args.seconds, args.links, db, survey_id)
    print(f"\nsurveys, {args.backend}, {args.conversations:,} conversations, {args.answers:,} answers")
    print(f"{'case':<38} {'p50 ms':>8} {'p95 ms':>8} {'rate/s':>9}")
    for r in rows:
        p50 = f"{r['p50_ms']:.2f}" if "p50_ms" in r else ""
        rate = f"{r['rate']:.0f}" if "rate" in r else ""
        print(f"{r['case']:<38} {p50:>8} {r.get('p95_ms', 0):>8.2f} {rate:>9}")
    report_p95 = max(r["p95_ms"] for r in rows if r["case"].startswith("report"))
    verdicts = {"report_p95_ms": report_p95 <= TARGETS["report_p95_ms"]}
    for r in rows:
        if r["case"] == "survey page, 1 connection":
            verdicts["page_p95_ms"] = r["p95_ms"] <= TARGETS["page_p95_ms"]
        if r["case"] == "answers recorded, c32":
            verdicts["answers_per_s"] = r["rate"] >= TARGETS["answers_per_s"]
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'} ({TARGETS[k]})" for k, v in verdicts.items()))
    save("surveys", {"bench": "surveys", "backend": args.backend, "conversations": args.conversations,
                     "answers": args.answers, "repeat": args.repeat, "rows": rows, "targets": TARGETS,
                     "met": verdicts, "date": str(date.today())})  # fmt: skip


if __name__ == "__main__":
    main()
