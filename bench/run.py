"""Rapport's benchmark: load the data set, serve it, measure with wrk beside a hello-world floor.

Prints a table and writes bench/results/<timestamp>.json. Run `python bench/run.py --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import channels  # noqa: E402  (bench/channels.py)
import cpu  # noqa: E402  (bench/cpu.py)
import dataset  # noqa: E402  (bench/dataset.py)
import server  # noqa: E402  (bench/server.py)
import shared_data  # noqa: E402  (bench/shared_data.py)
import workspace  # noqa: E402  (bench/workspace.py)

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"

# name -> (target, unit, higher is better); a target of None is reported for information
TARGETS = {
    "ingest_rate": (1500, "msg/s", True),
    "ingest_p99": (100, "ms", False),
    "import_rate": (25000, "msg/s", True),
    "list_p95": (15, "ms", False),
    "list_rate_c16": (1000, "req/s", True),
    "open_p95": (15, "ms", False),
    "open_rate_c16": (1000, "req/s", True),
    "search_common_p95": (50, "ms", False),
    "search_rare_p95": (50, "ms", False),
    "peak_rss": (300, "MB", False),
    # issue #3: the channels (run.py --suite channels)
    "email_rate": (200, "msg/s", True),
    "sms_webhook_rate": (1000, "req/s", True),
    "whatsapp_webhook_rate": (1000, "req/s", True),
    "chat_p99": (200, "ms", False),
    # issue #4: the agent workspace (run.py --suite workspace)
    "inbox_page_p95": (50, "ms", False),
    "inbox_page_rate_c16": (None, "req/s", True),
    "conversation_page_p95": (50, "ms", False),
    "conversation_page_rate_c16": (None, "req/s", True),
    "interactive_p95": (1000, "ms", False),
    "push_sse_p99": (None, "ms", False),
    "push_fragment_p99": (500, "ms", False),
    "push_dom_p99": (500, "ms", False),
}


def wrk(url: str, script: str, *, connections: int, threads: int, seconds: int, env: dict) -> dict:
    """Run wrk with one of bench/wrk/*.lua (plus the shared reporter) and return its JSON summary."""
    combined = RESULTS / f".{script}.combined.lua"
    combined.write_text((BENCH / "wrk" / script).read_text() + "\n" + (BENCH / "wrk" / "report.lua").read_text())
    out = RESULTS / ".wrk.json"
    out.unlink(missing_ok=True)
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(combined),
        url,
    ]
    proc = subprocess.run(cmd, env={**os.environ, **env, "WRK_JSON": str(out)}, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed: {proc.stderr[-2000:]}")
    result = json.loads(out.read_text())
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    errors = sum(result["errors"].values())
    if errors:
        print(f"  ! {errors} errors ({result['errors']}); stderr: {proc.stderr[-500:]}", file=sys.stderr)
    return result


def ms(us: float) -> float:
    """Microseconds to milliseconds, rounded."""
    return round(us / 1000, 2)


def measure_floor(port: int, seconds: int) -> dict:
    """The hello-world floor: the same server stack, 2 workers, concurrency 32 and a single client."""
    with server.floor(port) as url:
        paths = RESULTS / ".floor-paths"
        paths.write_text("/hello\n")
        env = {"WRK_PATHS": str(paths)}
        c32 = wrk(url, "paths.lua", connections=32, threads=2, seconds=seconds, env=env)
        c1 = wrk(url, "paths.lua", connections=1, threads=1, seconds=max(3, seconds // 2), env=env)
    return {
        "rate_c32": round(c32["rate"]),
        "p99_c32_ms": ms(c32["latency_us"]["p99"]),
        "p95_c1_ms": ms(c1["latency_us"]["p95"]),
    }


def measure_backend(backend: str, args, target: dict, port: int) -> dict:
    """Serve the imported database of `backend` and measure the core figures."""
    out: dict = {"backend": backend}
    fixture = dataset.bench_fixture(target)
    sec = args.seconds
    env_auth = {"WRK_TOKEN": fixture["token"]}
    with server.rapport(target, port, workers=2) as (url, pids):
        meter = cpu.Meter(pids, target["url"])

        def measured(name: str, script: str, **options) -> dict:
            # the CPU a request cost, beside its rate: it compares across a loaded machine's runs where rates don't
            meter.start()
            result = wrk(url, script, **options)
            out[f"{name}_cpu_ms"] = cpu.per_request_ms(meter.stop(), result["requests"])
            return result

        def paths(name: str, lines: list[str]) -> dict:
            f = RESULTS / f".{name}-paths"
            f.write_text("\n".join(lines) + "\n")
            return {**env_auth, "WRK_PATHS": str(f)}

        lists = paths("list", fixture["list_paths"])
        opens = paths("open", fixture["open_paths"])
        for name, env in (("list", lists), ("open", opens)):
            c1 = wrk(url, "paths.lua", connections=1, threads=1, seconds=sec, env=env)
            c16 = measured(name, "paths.lua", connections=16, threads=2, seconds=sec, env=env)
            out[f"{name}_p95"] = ms(c1["latency_us"]["p95"])
            out[f"{name}_p50"] = ms(c1["latency_us"]["p50"])
            out[f"{name}_rate_c16"] = round(c16["rate"])
        for name in ("common", "rare"):
            c1 = measured(
                f"search_{name}",
                "paths.lua",
                connections=1,
                threads=1,
                seconds=sec,
                env=paths(f"search-{name}", fixture[f"search_{name}_paths"]),
            )
            out[f"search_{name}_p95"] = ms(c1["latency_us"]["p95"])
            out[f"search_{name}_p50"] = ms(c1["latency_us"]["p50"])
        texts, addresses = RESULTS / ".texts", RESULTS / ".addresses"
        texts.write_text("\n".join(fixture["texts"]) + "\n")
        addresses.write_text("\n".join(fixture["addresses"]) + "\n")
        ingest = measured(
            "ingest",
            "inbound.lua",
            connections=32,
            threads=2,
            seconds=max(sec * 2, 10),
            env={
                **env_auth,
                "WRK_INBOXES": ",".join(map(str, fixture["inbox_ids"])),
                "WRK_TEXTS": str(texts),
                "WRK_ADDRESSES": str(addresses),
            },
        )
        out["ingest_rate"] = round(ingest["rate"])
        out["ingest_p99"] = ms(ingest["latency_us"]["p99"])
        out["ingest_p50"] = ms(ingest["latency_us"]["p50"])
        out["ingest_errors"] = ingest["errors"]
        out["peak_rss"] = round(max(server.peak_rss_mb(pid) for pid in pids), 1)
    out["ingested_rows_check"] = dataset.count_bench_messages(target)
    return out


def table(floor: dict, results: list[dict]) -> str:
    """The results as a plain-text table, one column per backend."""
    names = [r["backend"] for r in results]
    lines = [f"{'figure':<27}{'target':>14}" + "".join(f"{n:>16}" for n in names) + "  verdict"]
    for key, (goal, unit, higher) in TARGETS.items():
        wanted = (("≥ " if higher else "≤ ") + f"{goal} {unit}") if goal is not None else unit
        row = f"{key:<27}{wanted:>14}"
        ok = True
        for r in results:
            value = r.get(key)
            row += f"{value:>16,}" if value is not None else f"{'—':>16}"
            ok &= value is not None and (goal is None or (value >= goal if higher else value <= goal))
        ran = any(r.get(key) is not None for r in results)
        verdict = ("  info" if goal is None else "  met" if ok else "  MISSED") if ran else "  not run"
        lines.append(row + verdict)
    lines.append(
        f"{'floor hello c32':<27}{'':>14}" + f"{floor['rate_c32']:>16,} req/s (p99 {floor['p99_c32_ms']} ms, "
        f"single-client p95 {floor['p95_c1_ms']} ms)"
    )
    for r in results:
        spent = [f"{k[: -len('_cpu_ms')]} {r[k]}" for k in r if k.endswith("_cpu_ms")]
        if spent:
            lines.append(f"CPU ms a request, server + database [{r['backend']}]: " + ", ".join(spent))
        for key in ("ingest_rate", "sms_webhook_rate", "whatsapp_webhook_rate"):
            if key in r:
                lines.append(f"{key}/floor [{r['backend']}]: {r[key] / floor['rate_c32']:.1%}")
        if "email_rate" in r:
            lines.append(f"email: {r['email_rate']:,} msg/s stored vs {r['email_floor_rate']:,} msg/s bare IMAP read")
        for key in ("inbox_page_p95", "conversation_page_p95"):
            if key in r:
                lines.append(f"{key}/floor single-client p95 [{r['backend']}]: {r[key] / floor['p95_c1_ms']:.1f}x")
        if "push" in r:
            p = r["push"]
            lines.append(
                f"push [{r['backend']}]: {p['pages']} pages ({p['chromium_pages']} Chromium), {p['sent']} messages "
                f"at {p['rate']}/s; p50 sse {p['sse']['p50_ms']} / fragment {p['fragment']['p50_ms']} / dom "
                f"{p['dom']['p50_ms']} ms; seen {p['sse']['n']}/{p['sse']['expected']} frames, "
                f"{p['fragment']['n']}/{p['fragment']['expected']} fragments, {p['dom']['n']}/{p['dom']['expected']} "
                f"in Chromium; {p['error_count']} errors"
            )
        if "interactive" in r:
            i = r["interactive"]
            lines.append(
                f"interactive [{r['backend']}]: p50 {i['ready']['p50_ms']} ms, p95 {i['ready']['p95_ms']} ms over "
                f"{i['ready']['n']} opens (DOMContentLoaded p50 {i['dom_content_loaded']['p50_ms']} ms)"
            )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run, print and save."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=5_000_000, help="total messages in the data set")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--suite", default="core,channels,workspace", help="core (issue #2), channels (#3), workspace (#4), or a list"
    )
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep the database an earlier run imported from the same data set (no import figure; for iterating)",
    )
    parser.add_argument("--mails", type=int, default=5000, help="mails fetched from IMAP in the email benchmark")
    parser.add_argument("--visitors", type=int, default=500, help="chat visitors, each writing every 5 s")
    parser.add_argument("--chat-seconds", type=int, default=60)
    parser.add_argument("--interactive-runs", type=int, default=30, help="conversation pages opened in Chromium")
    parser.add_argument("--live-pages", type=int, default=200, help="open conversation pages in the push benchmark")
    parser.add_argument("--chromium-pages", type=int, default=5, help="of which real Chromium tabs")
    parser.add_argument("--live-agents", type=int, default=16, help="agents the pages belong to")
    parser.add_argument("--push-rate", type=float, default=20, help="inbound messages per second to open pages")
    parser.add_argument("--push-seconds", type=float, default=60)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("RAPPORT_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/rapport_bench"),
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("The benchmark drives load with wrk: install it (Debian: apt-get install wrk).")
    if "core" in args.suite.split(","):
        shared_data.require(shared_data.BITEXT)  # its ingest texts: say so now, not after an hour's import
    RESULTS.mkdir(parents=True, exist_ok=True)
    dataset.PG_URL = args.pg_url
    suites = set(args.suite.split(","))
    data_file = (
        dataset.ensure_file(BENCH / "data", conversations=args.conversations, messages=args.messages)
        if suites & {"core", "workspace"}
        else None
    )
    print("measuring the floor (hello world) …", flush=True)
    floor = measure_floor(args.port, args.seconds)
    small = dataset.ensure_file(BENCH / "data", conversations=20_000, messages=100_000)
    results = []
    for backend in args.backends.split(","):
        result = {"backend": backend}
        if suites & {"core", "workspace"}:
            # One import serves both suites.
            target = dataset.prepare(backend, data_file, reuse=args.reuse_data)
            if "import" in target:
                result["import"] = target["import"]
                result["import_rate"] = round(target["import"]["messages"] / target["import"]["seconds"])
            started = time.time()
            result["warmed_gb"] = dataset.warm(target)
            warmed = f"{result['warmed_gb']} GB into the page cache in {time.time() - started:.0f}s"
            print(f"[{backend}] read {warmed}", flush=True)
            if "core" in suites:
                result.update(measure_backend(backend, args, target, args.port))
            if "workspace" in suites:
                result.update(workspace.measure_workspace(backend, args, target, args.port, wrk))
            target["db"].engine.dispose()
        if "channels" in suites:
            print(f"[{backend}] channels …", flush=True)
            result.update(channels.measure_channels(backend, args, small, args.port, wrk))
        results.append(result)
    text = table(floor, results)
    print(text)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "when": stamp,
        "conversations": args.conversations,
        "messages": args.messages,
        "floor": floor,
        "results": results,
        "targets": {k: {"target": v[0], "unit": v[1], "higher_is_better": v[2]} for k, v in TARGETS.items()},
        "table": text,
        "machine": {"cpus": os.cpu_count()},
    }
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwritten {path.relative_to(BENCH.parent)}")


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"total {time.time() - t0:.0f}s")
