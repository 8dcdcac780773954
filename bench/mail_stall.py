"""One hostile mail against a serving Rapport (issue 13, email 3): what the web answers while the mail is received.

Rapport serves on SQLite exactly as `rapport serve` runs it with RAPPORT_EMAIL_SMTP_LISTEN set (one uvicorn process:
web, job worker and the SMTP receiver). Mails are sent to its SMTP port one after another (each answered 250 only
once stored or quarantined), while two clients measure the web: GET /healthz (the event loop) and
POST /api/v1/messages/inbound (a write, which a held SQLite transaction would block). The floor is the same
measurement with no mail, in the same run. The mails: 40,000 dashes (the 55 KB mail that froze the server for
~30 s), 548 KB and 2.7 MB of nested <div>s (69 s of blocked writes, 31 minutes of a held transaction), and the
most a mail within the bounds may cost: HTML nested exactly to RAPPORT_MAX_HTML_DEPTH, and flat HTML, both just
under RAPPORT_MAX_HTML_CHARS. Beside the latencies, the CPU time each scenario cost the server process (whose GIL
the web and the writers share) and its mail reader processes (RAPPORT_EMAIL_READ_PROCESSES; with 0 every mail is
read in the server process, as before): unlike latency on a shared machine, it does not depend on the load.

    .venv/bin/python bench/mail_stall.py [--repeat 3] [--floor-seconds 5] [--port P] [--read-processes N]

Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import smtplib
import socket
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

import dataset
import server

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from sqlalchemy import func, select  # noqa: E402

from rapport.agents import service as agents  # noqa: E402
from rapport.config import Settings  # noqa: E402
from rapport.inboxes import service as inboxes  # noqa: E402
from rapport.kernel.permissions import SYSTEM  # noqa: E402
from rapport.models import EmailReceipt  # noqa: E402
from rapport.models.enums import Role  # noqa: E402

INBOX = "desk@bench.example"
PROBE_PAUSE = 0.005  # between one client's requests: many samples, without starving the server of CPU


def _mails(settings: Settings) -> dict[str, str]:
    depth, chars = settings.max_html_depth, settings.max_html_chars
    block = "<div>" * depth + "x" + "</div>" * depth
    return {
        "dashes 55 KB": "<p>Hello</p><p>" + "-" * 40_000 + "</p>",
        "nested 548 KB": "<div>" * 49_800 + "x" + "</div>" * 49_800,
        "nested 2.7 MB": "<div>" * 245_000 + "x" + "</div>" * 245_000,
        f"nested to the depth bound ({depth})": block * ((chars - 1000) // len(block)),
        "flat HTML at the size bound": "<p>Hello <b>there</b>, my order</p>" * ((chars - 1000) // 36),
    }


def _mail(subject: str, html: str) -> bytes:
    msg = EmailMessage(policy=SMTP)  # CRLF line ends, as smtplib sends bytes unchanged
    msg["X-Placeholder"] = "replaced by a Message-ID at each send"
    msg["From"] = "Jo Customer <jo@customer.example>"
    msg["To"] = INBOX
    msg["Subject"] = subject
    msg.set_content("See the HTML part.")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")  # SMTP lines are at most 998 bytes
    return msg.as_bytes()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Probe(threading.Thread):
    """One client sending the same request over one keep-alive connection until stopped; latencies in ms."""

    def __init__(self, port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        super().__init__(daemon=True)
        self.port, self.method, self.path, self.body, self.headers = port, method, path, body, headers or {}
        self.latencies: list[float] = []
        self.errors = 0
        self.stop = threading.Event()

    def run(self) -> None:  # noqa: D102
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                conn.request(self.method, self.path, body=self.body, headers=self.headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 300:
                    self.errors += 1
            except OSError:
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            self.latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(PROBE_PAUSE)


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    pick = lambda p: ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]  # noqa: E731
    return {"n": len(ordered), "p50": pick(50), "p99": pick(99), "max": ordered[-1]}


def _cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of the server process itself, and of all its descendants (the fork server, the mail readers)."""
    tick, procs = os.sysconf("SC_CLK_TCK"), {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended meanwhile
            # After the name: state, ppid, …, utime, stime, cutime, cstime (the reaped children's, e.g. killed readers)
            procs[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), sum(map(int, fields[11:15])))
    family, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        children = [p for p, (ppid, _, _) in procs.items() if ppid == parent]
        family.update(children)
        todo += children
    own = procs[pid][1] if pid in procs else 0
    return own / tick, sum(procs[p][2] for p in family) / tick


def _measure(port: int, token: str, inbox_id: int, work, pid: int) -> dict:
    body = json.dumps(
        {"inbox_id": inbox_id, "sender": {"kind": "email", "address": "probe@customer.example"}, "text": "ping"}
    ).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    probes = {
        "healthz": Probe(port, "GET", "/healthz"),
        "inbound": Probe(port, "POST", "/api/v1/messages/inbound", body, headers),
    }
    for probe in probes.values():
        probe.start()
    time.sleep(0.5)  # both clients running before the work starts
    cpu, started = _cpu(pid), time.perf_counter()
    extra = work()
    after, seconds = _cpu(pid), time.perf_counter() - started
    # CPU the work cost: in the server process (its GIL), and in its reader processes.
    extra |= {"seconds": seconds, "server_cpu_s": after[0] - cpu[0], "readers_cpu_s": after[1] - cpu[1]}
    for probe in probes.values():
        probe.stop.set()
    for probe in probes.values():
        probe.join()
    return {**extra, **{name: {**_stats(p.latencies), "errors": p.errors} for name, p in probes.items()}}


def _send(smtp_port: int, raw: bytes, repeat: int) -> dict:
    seconds = []
    for _ in range(repeat):
        # A Message-ID of its own each time: the same mail again would be stored once and skipped as a duplicate.
        raw = f"Message-ID: {make_msgid(domain='customer.example')}\r\n".encode() + raw.split(b"\r\n", 1)[1]
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=3600) as client:
            client.sendmail("jo@customer.example", [INBOX], raw)
        seconds.append(time.perf_counter() - started)
    return {"mail_seconds": statistics.median(seconds), "mails": repeat}


def _outcomes(db, subject: str) -> str:
    with db.read() as s:
        rows = s.execute(
            select(EmailReceipt.outcome, EmailReceipt.reason, func.count())
            .where(EmailReceipt.subject == subject)
            .group_by(EmailReceipt.outcome, EmailReceipt.reason)
        ).all()
    return ", ".join(f"{n} {o}" + (f" ({r})" if r else "") for o, r, n in rows)


def main() -> None:
    """Serve Rapport with its SMTP receiver, measure the floor, then each mail; print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="times each mail is sent")
    parser.add_argument("--floor-seconds", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=0, help="the web port (the SMTP port is the next); 0: any free")
    parser.add_argument(
        "--read-processes",
        type=int,
        default=None,
        help="RAPPORT_EMAIL_READ_PROCESSES for the server (0: every mail read in the server process, as before)",
    )
    args = parser.parse_args()
    target = dataset.fresh_database("sqlite", BENCH / "data" / "mail-stall")
    db, settings = target["db"], target["settings"]
    with db.write() as s:
        inbox = inboxes.create(s, SYSTEM, name="Bench desk", channel="email", address=INBOX)
        admin = agents.create_agent(s, SYSTEM, name="Bench Admin", email="admin@bench.example", role=Role.admin)
        _, token = agents.create_token(s, SYSTEM, name="bench", scopes=["read", "write", "inbound"], agent_id=admin.id)
    port, smtp_port = (args.port, args.port + 1) if args.port else (_free_port(), _free_port())
    env = {"RAPPORT_EMAIL_SMTP_LISTEN": f"127.0.0.1:{smtp_port}", "RAPPORT_EMAIL_MAX_PER_SENDER_PER_HOUR": "0"}
    if args.read_processes is not None:
        env["RAPPORT_EMAIL_READ_PROCESSES"] = str(args.read_processes)
        settings.email_read_processes = args.read_processes  # as the server has it, for the JSON
    rows = []
    with server.rapport(target, port, workers=1, env=env) as (_, pids):
        pid = pids[0]  # one process: uvicorn with one worker serves in its own process
        time.sleep(2)  # the email runtime starts the SMTP receiver
        floor = _measure(port, token, inbox.id, lambda: (time.sleep(args.floor_seconds), {})[1], pid)
        rows.append({"scenario": "floor (no mail)", "bytes": 0, "outcome": "", **floor})
        for name, html in _mails(settings).items():
            raw = _mail(name, html)
            print(f"{name}: {len(raw):,} bytes …", flush=True)
            result = _measure(port, token, inbox.id, lambda raw=raw: _send(smtp_port, raw, args.repeat), pid)
            rows.append({"scenario": name, "bytes": len(raw), "outcome": _outcomes(db, name), **result})
    print(f"RAPPORT_EMAIL_READ_PROCESSES={settings.email_read_processes}")
    print(table(rows))
    out = BENCH / "results" / f"mail_stall-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"settings": _bounds(settings), "rows": rows}, indent=2))
    print(f"written to {out}")


def _bounds(settings: Settings) -> dict:
    return {
        "RAPPORT_MAX_HTML_CHARS": settings.max_html_chars,
        "RAPPORT_MAX_HTML_DEPTH": settings.max_html_depth,
        "RAPPORT_EMAIL_MAX_PARSE_SECONDS": settings.email_max_parse_seconds,
        "RAPPORT_EMAIL_READ_PROCESSES": settings.email_read_processes,
        "RAPPORT_EMAIL_READ_INLINE_BYTES": settings.email_read_inline_bytes,
    }


def table(rows: list[dict]) -> str:
    """The results as a text table: latencies in ms, the server's CPU seconds per second, the readers' CPU seconds."""
    head = (
        f"{'scenario':38} {'bytes':>10} {'mail s':>7}  {'healthz p50/p99/max':>22}  "
        f"{'inbound p50/p99/max':>22}  {'server CPU/s':>12} {'readers CPU s':>13}  outcome"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        h, i = r["healthz"], r["inbound"]
        mail_s = f"{r['mail_seconds']:.2f}" if "mail_seconds" in r else ""
        lines.append(
            f"{r['scenario']:38} {r['bytes']:>10,} {mail_s:>7}  "
            f"{h.get('p50', 0):6.1f}/{h.get('p99', 0):6.1f}/{h.get('max', 0):7.1f}  "
            f"{i.get('p50', 0):6.1f}/{i.get('p99', 0):6.1f}/{i.get('max', 0):7.1f}  "
            f"{r['server_cpu_s'] / r['seconds']:>12.2f} {r['readers_cpu_s']:>13.2f}  {r['outcome']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
