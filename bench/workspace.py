"""Workspace benchmark (issue #4): inbox and conversation pages, time to interactive in Chromium, live pushes.

On the data set the core suite imports (the same database when the core suite has just built it): full HTML pages
signed in with a session cookie, driven by wrk (single client p95, concurrency 16 for the rate); the conversation
page opened in headless Chromium until it is usable; and a new inbound message's way to 200 open agent pages
(bench/live_pages.py). Called by run.py with `--suite workspace`.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from pathlib import Path

from sqlalchemy import func, select, update

import cpu
import live_pages
import server
from rapport.agents import auth
from rapport.agents import service as agents
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Conversation, Customer, Identity, Inbox, SavedView, Team
from rapport.models.enums import Role
from rapport.web.deps import SESSION_COOKIE
from rapport.workspace.conversations import inbox

BENCH = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench password 1"
VIEWER = "workbench@rapport.example"
SAVED_VIEW = {"channel": "email", "segment": "enterprise"}  # a saved view whose filters join the customers


def _agent(session, email: str, name: str, team_ids: list[int]) -> Agent:
    found = session.scalar(select(Agent).where(Agent.email == email))
    if found is not None:
        return found
    return agents.create_agent(
        session, SYSTEM, name=name, email=email, role=Role.agent, password=PASSWORD, team_ids=team_ids
    )


def _sign_in(db, email: str) -> dict:
    with db.write() as s:
        row, cookie = auth.sign_in(s, email, PASSWORD)
        return {"agent_id": row.agent_id, "cookie": cookie, "csrf": row.csrf_token}


def fixture(target: dict, *, agents_count: int, conversations: int, seed: int = 13) -> dict:
    """Agents with sessions, a saved view, the page paths to replay and the conversations the live pages show.

    Idempotent, so a reused database (run.py --reuse-data) takes it again.
    """
    rng = random.Random(seed)
    db = target["db"]
    with db.write() as s:
        team = s.scalar(select(Team).order_by(Team.id))
        viewer = _agent(s, VIEWER, "Workbench Viewer", [team.id] if team else [])
        crew = [
            _agent(s, f"workbench-{n}@rapport.example", f"Workbench Agent {n}", [team.id] if team else [])
            for n in range(agents_count)
        ]
        actor = auth.actor_for(s, viewer, None)
        saved = s.scalar(select(SavedView).where(SavedView.agent_id == viewer.id))
        saved = saved or inbox.save_view(s, actor, name="Enterprise email", filters=dict(SAVED_VIEW))
        crew_ids = [a.id for a in crew]
    me = _sign_in(db, VIEWER)
    sessions = {a: _sign_in(db, f"workbench-{n}@rapport.example") for n, a in enumerate(crew_ids)}
    with db.read() as s:
        actor = auth.actor_for(s, s.get(Agent, me["agent_id"]), None)
        cursors = {k: inbox.view(s, actor, k).older for k in ("all", "waiting")}
        later = [f"/inbox/{k}?after={c}" for k, c in cursors.items() if c]  # the second pages
        max_id = s.scalar(select(func.max(Conversation.id)))
        candidates = list(
            s.execute(
                select(Conversation.id, Conversation.inbox_id, Identity.address)
                .join(Inbox, Inbox.id == Conversation.inbox_id)
                .join(Customer, Customer.id == Conversation.customer_id)
                .join(Identity, Identity.customer_id == Customer.id)
                .where(Conversation.status == "open", Inbox.channel == "email", Identity.kind == "email")
                .order_by(Conversation.updated_at.desc())
                .limit(conversations * 20)
            )
        )
    live = rng.sample(candidates, min(conversations, len(candidates)))
    # Each live conversation belongs to one bench agent, so its pushes also reach that agent's other pages.
    with db.write() as s:
        for n, (conv_id, _inbox, _address) in enumerate(live):
            s.execute(
                update(Conversation).where(Conversation.id == conv_id).values(assignee_id=crew_ids[n % len(crew_ids)])
            )
    return {
        "cookie": f"{SESSION_COOKIE}={me['cookie']}",
        "inbox_paths": ["/inbox/all", "/inbox/unassigned", "/inbox/waiting", f"/inbox/saved-{saved.id}", *later],
        "open_paths": [f"/conversations/{rng.randint(1, max_id)}" for _ in range(3000)],
        "interactive_ids": [rng.randint(1, max_id) for _ in range(200)],
        "live": [
            {"id": c, "inbox_id": i, "address": a, "owner": crew_ids[n % len(crew_ids)]}
            for n, (c, i, a) in enumerate(live)
        ],
        "sessions": sessions,
        "viewer": me,
    }


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


def summary(values: list[float]) -> dict:
    """p50, p95, p99 and max of seconds, in milliseconds."""
    return {
        "n": len(values),
        "p50_ms": round(_percentile(values, 50) * 1000, 1),
        "p95_ms": round(_percentile(values, 95) * 1000, 1),
        "p99_ms": round(_percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values, default=0) * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else 0.0,
    }


async def interactive(url: str, cookie: str, ids: list[int], runs: int) -> dict:
    """Open the conversation page `runs` times in headless Chromium (a fresh page and navigation each time) and
    time navigation start to the page's ready mark (scripts initialised, live stream connected)."""
    from playwright.async_api import async_playwright

    name, value = cookie.split("=", 1)
    ready, loaded = [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = await browser.new_context(base_url=url, viewport={"width": 1280, "height": 720})
        await context.add_cookies([{"name": name, "value": value, "url": url}])
        warm = await context.new_page()  # the first visit fills the cache with the static files, as a working day has
        await warm.goto(f"/conversations/{ids[0]}")
        await warm.wait_for_selector("html[data-ready]")
        await warm.close()
        for conv_id in ids[1 : runs + 1]:
            page = await context.new_page()
            await page.goto(f"/conversations/{conv_id}")
            await page.wait_for_selector("html[data-ready]", timeout=30_000)
            marks = await page.evaluate(
                "() => ({ready: performance.getEntriesByName('rapport-ready')[0].startTime,"
                " dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd})"
            )
            ready.append(marks["ready"] / 1000)
            loaded.append(marks["dcl"] / 1000)
            await page.close()
        await browser.close()
    return {"ready": summary(ready), "dom_content_loaded": summary(loaded)}


def measure_workspace(backend: str, args, target: dict, port: int, wrk) -> dict:
    """Every workspace figure for one backend on an imported database."""
    out: dict = {}
    print(f"[{backend}] workspace: fixture …", flush=True)
    fx = fixture(target, agents_count=args.live_agents, conversations=args.live_pages // 2)
    sec = args.seconds
    with server.rapport(target, port, workers=2) as (url, pids):
        meter = cpu.Meter(pids, target["url"])  # a page's CPU: what compares across a loaded machine's runs

        def paths(name: str, lines: list[str]) -> dict:
            f = BENCH / "results" / f".{name}-paths"
            f.write_text("\n".join(lines) + "\n")
            return {"WRK_PATHS": str(f), "WRK_COOKIE": fx["cookie"]}

        for name, lines in (("inbox_page", fx["inbox_paths"]), ("conversation_page", fx["open_paths"])):
            env = paths(name, lines)
            c1 = wrk(url, "paths.lua", connections=1, threads=1, seconds=sec, env=env)
            meter.start()
            c16 = wrk(url, "paths.lua", connections=16, threads=2, seconds=sec, env=env)
            out[f"{name}_cpu_ms"] = cpu.per_request_ms(meter.stop(), c16["requests"])
            out[f"{name}_p95"] = round(c1["latency_us"]["p95"] / 1000, 2)
            out[f"{name}_p50"] = round(c1["latency_us"]["p50"] / 1000, 2)
            out[f"{name}_rate_c16"] = round(c16["rate"])
        # Each inbox view on its own too (single client, shorter runs), for the record.
        out["inbox_pages"] = {}
        for path in fx["inbox_paths"]:
            one = wrk(url, "paths.lua", connections=1, threads=1, seconds=max(2, sec // 3), env=paths("one", [path]))
            key = path.split("?")[0] + (" (page 2)" if "after=" in path else "")
            out["inbox_pages"][key] = {
                "p50_ms": round(one["latency_us"]["p50"] / 1000, 2),
                "p95_ms": round(one["latency_us"]["p95"] / 1000, 2),
            }
        print(f"[{backend}] workspace: Chromium, {args.interactive_runs} conversation pages …", flush=True)
        out["interactive"] = asyncio.run(interactive(url, fx["cookie"], fx["interactive_ids"], args.interactive_runs))
        out["interactive_p95"] = out["interactive"]["ready"]["p95_ms"]
    print(f"[{backend}] workspace: {args.live_pages} live pages, {args.push_rate} msg/s …", flush=True)
    out["push"] = live_pages.measure(target, port, fx, args)
    for key in ("sse", "fragment", "dom"):
        out[f"push_{key}_p99"] = out["push"][key]["p99_ms"]
    return out
