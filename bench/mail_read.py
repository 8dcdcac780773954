"""Where a mail is best read: here, or in a reader process (RAPPORT_EMAIL_READ_INLINE_BYTES, issue 13).

A mail read here holds the GIL for as long as it is read; one sent to a reader process costs this process only the
round trip (pickling the bytes and the result, the pipe) and its wall time a little more. For mails of growing
size (ordinary HTML mail: paragraphs, links, a quoted reply), this measures both: the CPU time of this thread (the
time the GIL is held, whatever else the machine does) and the wall time, the median over `--reads` reads. The
floor is the round trip of the smallest mail to a reader that does nothing, in the same run.

    .venv/bin/python bench/mail_read.py [--reads 30]

Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))

from rapport.channels.email import readers, reading  # noqa: E402
from rapport.channels.email.parse import Parsed  # noqa: E402
from rapport.config import Settings, use_settings  # noqa: E402

SIZES_KB = (2, 4, 8, 16, 32, 64, 128, 256)
PARAGRAPH = (
    '<p>Hello, my order <a href="https://shop.example/orders/4711">#4711</a> has not arrived. '
    "Could you <b>please</b> look into it?</p>\n"
)


def nothing(raw: bytes) -> Parsed:
    """A reader that reads nothing: the round trip alone."""
    return Parsed(raw=raw, sha256="", content_hash="")


def _mail(size: int) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Jo Customer <jo@customer.example>"
    msg["To"] = "desk@bench.example"
    msg["Subject"] = "My order"
    msg["Message-ID"] = "<bench@customer.example>"
    html = PARAGRAPH * max(1, size // len(PARAGRAPH))
    html += "<blockquote><p>On Monday, Support wrote:</p>" + PARAGRAPH * 3 + "</blockquote>"
    msg.set_content("See the HTML part.")
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def _time(work, reads: int) -> dict:
    cpu, wall = [], []
    for _ in range(reads):
        c, w = time.thread_time(), time.perf_counter()
        work()
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return {"cpu_ms": statistics.median(cpu), "wall_ms": statistics.median(wall)}


def main() -> None:
    """Read each size here and in a reader process; print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=30)
    args = parser.parse_args()
    settings = use_settings(Settings())
    pool, empty = readers.Pool(1), readers.Pool(1, nothing)
    small = _mail(SIZES_KB[0] * 1024)
    pool.read(small, settings), empty.read(small, settings)  # both readers started before timing
    floor = _time(lambda: empty.read(small, settings), args.reads)
    rows = []
    for kb in SIZES_KB:
        raw = _mail(kb * 1024)
        here = _time(lambda raw=raw: reading.read(raw), args.reads)
        there = _time(lambda raw=raw: pool.read(raw, settings), args.reads)
        rows.append({"kb": round(len(raw) / 1024, 1), "here": here, "reader_process": there})
    pool.shutdown(), empty.shutdown()
    print(
        f"floor: a round trip to a reader that reads nothing: {floor['wall_ms']:.2f} ms wall, "
        f"{floor['cpu_ms']:.2f} ms CPU here"
    )
    print(table(rows))
    out = BENCH / "results" / f"mail_read-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"floor": floor, "rows": rows}, indent=2))
    print(f"written to {out}")


def table(rows: list[dict]) -> str:
    """The results as a text table, medians in ms."""
    head = f"{'mail KB':>8}  {'here: CPU (GIL held)':>20} {'wall':>7}  {'reader process: CPU here':>24} {'wall':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        h, t = r["here"], r["reader_process"]
        lines.append(
            f"{r['kb']:>8}  {h['cpu_ms']:>20.2f} {h['wall_ms']:>7.2f}  {t['cpu_ms']:>24.2f} {t['wall_ms']:>7.2f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
