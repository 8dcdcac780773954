"""The demo generator's entry points: stream the records, write them as JSONL, or load them through the importer."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from rapport.db.session import Database
from rapport.demo import org as orgs
from rapport.demo import phrases
from rapport.demo.conversations import ConversationMaker, Timeline
from rapport.kit.clock import now as clock_now
from rapport.transfer.importer import import_records
from rapport.transfer.report import ImportReport

MONTHS = 6
DEFAULT_AVG_MESSAGES = 4.5


def records(
    *,
    conversations: int = 10_000,
    customers: int = 2_000,
    messages: int | None = None,
    seed: int = 1,
    now: datetime | None = None,
) -> Iterator[dict]:
    """The demo organisation as import records, streamed: same seed and `now`, same records.

    `messages` is the total to aim for (about conversations * 4.5 when not given); the result is within a
    few percent of it. Memory stays flat however many conversations are asked for.
    """
    if conversations < 0 or customers < 1:
        raise ValueError("conversations must be >= 0 and customers >= 1")
    intents = phrases.intents()
    rng = random.Random(seed)
    end = (now or clock_now()).replace(microsecond=0)
    start = end - timedelta(days=round(MONTHS * 30.5))
    org = orgs.Org()
    yield from orgs.directory(rng, org)
    yield from orgs.customers(rng, org, customers, start)
    average = (messages / conversations) if messages and conversations else DEFAULT_AVG_MESSAGES
    maker = ConversationMaker(rng, org, intents, average, end)
    timeline = Timeline(start, end)
    for index in range(conversations):
        yield maker.make(index + 1, timeline.at((index + rng.random()) / conversations, rng))


def write_jsonl(path: Path, items: Iterator[dict]) -> dict[str, int]:
    """Write records as JSONL, one a line; returns how many of each type (and messages) were written."""
    counts: dict[str, int] = {"message": 0}
    with Path(path).open("wb") as out:
        for item in items:
            out.write(orjson.dumps(item) + b"\n")
            counts[item["type"]] = counts.get(item["type"], 0) + 1
            if item["type"] == "conversation":
                counts["message"] += len(item["messages"])
    return counts


def generate(
    db: Database | None = None,
    *,
    out: Path | None = None,
    conversations: int = 10_000,
    customers: int = 2_000,
    messages: int | None = None,
    seed: int = 1,
    now: datetime | None = None,
    on_batch: Callable[[ImportReport], None] | None = None,
) -> ImportReport | dict[str, int]:
    """Generate the demo: into `db` through the bulk importer (an ImportReport), or to the JSONL file `out`
    (counts per record type)."""
    items = records(conversations=conversations, customers=customers, messages=messages, seed=seed, now=now)
    if out is not None:
        return write_jsonl(out, items)
    if db is None:
        raise ValueError("generate() needs a database to load into, or out= a file to write")
    return import_records(db, items, on_batch=on_batch)
