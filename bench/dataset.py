"""The benchmark's data: generate it once (cached), import it into a fresh database, and pick the requests."""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select, text

import shared_data
from rapport.agents import service as agents
from rapport.config import Settings, use_settings
from rapport.db.engine import make_engine
from rapport.db.migrate import upgrade
from rapport.db.session import Database
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Conversation, Identity, Inbox, Message, Team
from rapport.models.enums import Role

PG_URL = "postgresql://postgres@127.0.0.1:5432/rapport_bench"
BENCH_EMAIL = "bench@rapport.example"
STOP = set(
    "i a an the to my me you your of for in on and or is it be can with do how what im i'm want need "
    "would could please help at from about this that have get".split()
)


def ensure_file(folder: Path, *, conversations: int, messages: int) -> Path:
    """The data set as a JSONL file in the import format, generated once per size."""
    from rapport.demo.generate import generate

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"dataset-{conversations}-{messages}.jsonl"
    if not path.exists():
        print(f"generating {conversations:,} conversations / ~{messages:,} messages → {path.name} …", flush=True)
        started = time.time()
        tmp = path.with_suffix(".partial")
        generate(out=tmp, conversations=conversations, messages=messages, customers=max(2000, conversations // 5))
        tmp.rename(path)
        print(f"generated in {time.time() - started:.0f}s", flush=True)
    return path


def fresh_database(backend: str, folder: Path) -> dict:
    """An empty, migrated database of `backend`; returns its URL and data directory."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'rapport.db'}"
    else:
        url = PG_URL
        admin = make_engine(url.rsplit("/", 1)[0] + "/postgres", pool_size=1).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        name = url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    settings = use_settings(Settings(data_dir=folder, database_url=url))
    db = Database(make_engine(url))
    upgrade(db.engine)
    return {"backend": backend, "url": url, "data_dir": folder, "db": db, "settings": settings}


def prepare(backend: str, data_file: Path, *, reuse: bool = False) -> dict:
    """A database of `backend` holding the data set: imported afresh (timed: `target["import"]`), or with `reuse`
    the one an earlier run imported (migrated to the current schema; no import figure)."""
    folder = data_file.parent / f"{backend}-{data_file.stem.removeprefix('dataset-')}"
    marker = folder / "imported.json"
    url = f"sqlite:///{folder / 'rapport.db'}" if backend == "sqlite" else PG_URL
    if reuse and marker.exists() and json.loads(marker.read_text()).get("url") == url:
        settings = use_settings(Settings(data_dir=folder, database_url=url))
        db = Database(make_engine(url))
        target = {"backend": backend, "url": url, "data_dir": folder, "db": db, "settings": settings}
        # PostgreSQL's one database may hold another data set since: the imported conversations must match.
        if _imported(db) == json.loads(marker.read_text())["conversations"]:
            print(f"[{backend}] reusing the database imported from {data_file.name}", flush=True)
            before = _heads(db)
            upgrade(db.engine)
            # New indexes want statistics; and a PostgreSQL without autovacuum (this machine's) keeps the
            # statistics of before the last run's ingest, which misled the planner on the inbox lists (reused runs
            # drifted from 3.6 to 16.4 ms p95). Its ANALYZE samples, so it takes seconds; SQLite's reads everything.
            if _heads(db) != before or backend == "postgresql":
                analyse(target)
            return target
        db.engine.dispose()
    target = fresh_database(backend, folder)
    print(f"[{backend}] importing {data_file.name} …", flush=True)
    target["import"] = import_file(target, data_file)
    print(f"[{backend}] imported in {target['import']['seconds']:.0f}s; analysing …", flush=True)
    analyse(target)
    marker.write_text(json.dumps({"url": url, "conversations": target["import"]["conversations"]}))
    return target


def _imported(db: Database) -> int:
    try:
        with db.read() as s:
            return s.scalar(select(func.count()).select_from(Conversation).where(Conversation.source_ref.is_not(None)))
    except Exception:  # noqa: BLE001  (no such table: nothing imported there)
        return -1


def _heads(db: Database) -> set[str]:
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def import_file(target: dict, path: Path) -> dict:
    """Time the bulk importer on `path`; returns messages, conversations and seconds."""
    from rapport.transfer.importer import import_file

    started = time.perf_counter()
    report = import_file(target["db"], path)
    seconds = time.perf_counter() - started
    if report.aborted or report.error_count:
        raise RuntimeError(f"import refused lines: {report.aborted or report.errors[:5]}")
    return {
        "messages": report.counts["message.created"],
        "conversations": report.counts["conversation.created"],
        "events": report.counts["event.created"],
        "seconds": round(seconds, 2),
    }


def analyse(target: dict) -> None:
    """Refresh the planner's statistics, as an operator would after a bulk load."""
    analyse_db(target["db"])


def analyse_db(db: Database) -> None:
    """Planner statistics (and, on PostgreSQL, the visibility map for index-only scans) as after a bulk load."""
    if db.engine.dialect.name == "sqlite":
        raw = db.engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
        try:
            raw.driver_connection.execute("ANALYZE")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def warm(target: dict) -> float:
    """Read the whole database into the OS page cache before measuring; returns the GB read.

    A serving database keeps its working set cached by using it. On this VM the host reclaims idle page cache
    (a freshly written 4 GB file was down to 0.7 GB cached ten minutes later), so without this step the first
    requests measure the disk instead of Rapport. SQLite: the database file (and WAL). PostgreSQL: pg_prewarm's
    'read' mode over every table, index and TOAST table of the schema (into the OS cache, as after use).
    """
    if target["backend"] == "sqlite":
        total = 0
        for path in sorted(Path(target["data_dir"]).glob("rapport.db*")):
            with path.open("rb") as f:
                while chunk := f.read(8 << 20):
                    total += len(chunk)
        return round(total / 1e9, 2)
    with target["db"].engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        blocks = conn.exec_driver_sql(
            "SELECT coalesce(sum(pg_prewarm(oid::regclass, 'read')), 0) FROM ("
            " SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i', 'm')"
            " UNION SELECT reltoastrelid FROM pg_class"
            "  WHERE relnamespace = 'public'::regnamespace AND reltoastrelid <> 0"
            " UNION SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.reltoastrelid = i.indrelid"
            "  WHERE c.relnamespace = 'public'::regnamespace) AS r"
        ).scalar()
        block = conn.exec_driver_sql("SELECT current_setting('block_size')::int").scalar()
    return round(int(blocks) * block / 1e9, 2)


def bench_fixture(target: dict, *, seed: int = 11) -> dict:
    """A token, and the requests to replay: inbox views, conversations to open, searches, texts, senders."""
    rng = random.Random(seed)
    db: Database = target["db"]
    with db.write() as s:
        admin = s.scalar(select(Agent).where(Agent.email == BENCH_EMAIL)) or agents.create_agent(
            s, SYSTEM, name="Bench", email=BENCH_EMAIL, role=Role.admin
        )
        _, token = agents.create_token(s, SYSTEM, name="bench", scopes=["read", "write", "inbound"], agent_id=admin.id)
    with db.read() as s:
        inbox_ids = list(s.scalars(select(Inbox.id)))
        team_ids = list(s.scalars(select(Team.id)))
        agent_ids = list(s.scalars(select(Agent.id).where(Agent.role == "agent")))
        max_id = s.scalar(select(func.max(Conversation.id)))
        addresses = list(s.scalars(select(Identity.address).where(Identity.kind == "email").limit(20000)))
        sample = list(
            s.scalars(
                select(Message.body_text).where(Message.direction == "inbound").where(Message.id <= 200000).limit(5000)
            )
        )
    active = "status=new&status=open&status=pending&status=on_hold"
    views = [f"/api/v1/conversations?inbox_id={i}&{active}&limit=50" for i in inbox_ids]
    views += [f"/api/v1/conversations?team_id={t}&{active}&limit=50" for t in team_ids]
    views += [f"/api/v1/conversations?assignee_id={a}&{active}&limit=50" for a in agent_ids]
    views += [
        f"/api/v1/conversations?{active}&limit=50",
        "/api/v1/conversations?unassigned=true&status=new&limit=50",
        "/api/v1/conversations?status=solved&sort=updated_desc&limit=50",
        "/api/v1/conversations?limit=50&sort=created_desc",
    ]
    opens = [f"/api/v1/conversations/{rng.randint(1, max_id)}?include=messages&include=events" for _ in range(3000)]
    common, rare = _words(sample)
    return {
        "token": token,
        "list_paths": views,
        "open_paths": opens,
        "search_common_paths": [f"/api/v1/search?q={w}" for w in common],
        "search_rare_paths": [f"/api/v1/search?q={w}" for w in rare],
        # Drawn from every intent, as a real stream is: the file is sorted by intent, and its first thousand lines
        # would give the newest rows the vocabulary of five of its 27 intents.
        "texts": rng.sample([t for t in _utterances() if '"' not in t and "\\" not in t], 1000),
        "addresses": addresses,
        "inbox_ids": inbox_ids,
    }


def _utterances() -> list[str]:
    with shared_data.require(shared_data.BITEXT).open(newline="") as fh:
        return [row["instruction"] for row in csv.DictReader(fh)]


def _words(sample: list[str]) -> tuple[list[str], list[str]]:
    """Common words (in a large share of messages) and rare ones (in a few), read off the data itself."""
    counts = Counter(w for body in sample for w in set(re.findall(r"[a-z]{4,}", body.lower())) if w not in STOP)
    ranked = [w for w, _ in counts.most_common()]
    common = ranked[:5]
    rare = [w for w, n in counts.items() if n == 1][:20]
    return common, rare


def count_bench_messages(target: dict) -> int:
    """How many messages the ingest run stored (their external ids start with 'bench-')."""
    with target["db"].read() as s:
        return s.scalar(select(func.count()).select_from(Message).where(Message.external_id.like("bench-%")))
