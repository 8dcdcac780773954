"""Open agent pages and a steady stream of inbound messages: how long a new message takes to reach them.

Most pages are simulated, each doing what `workspace.js` does on a conversation page: one SSE stream on
`/api/v1/live` (topics `conversation:<id>` and `agent:<me>`, the agent's session cookie), a `viewing` presence
signal when the stream is ready (and again when another agent arrives), and on a push for its conversation the
same htmx fragment GETs after the same waits (the timeline 50 ms after an event; the header and the panel after
300 ms; one request at a time, the last trigger queued, as htmx does). A few pages are real Chromium tabs that watch
their timeline with a MutationObserver. Messages are POSTed through `/api/v1/messages/inbound` at a steady rate
into the conversations the pages have open, each with a token in its text; latency runs from the POST's send
time to (a) the SSE frame carrying it, (b) the fragment containing it (simulated pages) or the DOM showing it
(Chromium). 2 server workers, Redis fan-out, as `bench/channels.py` serves the chat benchmark.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import sys
import time
from collections import Counter
from pathlib import Path

import server
from rapport.agents import service as agents
from rapport.kernel.permissions import SYSTEM
from rapport.web.deps import SESSION_COOKIE

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # run on its own: bench/ is not a package
TIMELINE_WAIT, PANEL_WAIT = 0.05, 0.3  # workspace.js: TIMELINE_WAIT_MS, PANEL_WAIT_MS
# Each message carries "wb<run>n<number>x": the run's own prefix, so messages of earlier runs never match.
RUN = secrets.token_hex(3)
TOKEN = re.compile(rf"wb{RUN}n(\d+)x")
OBSERVER = r"""(run) => {
  const token = new RegExp("wb" + run + "n(\\d+)x", "g");
  window.__seen = {};
  const scan = () => {
    const at = performance.timeOrigin + performance.now();
    document.querySelectorAll("#timeline .msg .text").forEach((el) => {
      for (const m of el.textContent.matchAll(token)) { if (!(m[1] in window.__seen)) window.__seen[m[1]] = at; }
    });
  };
  scan();
  new MutationObserver(scan).observe(document.querySelector(".thread"), { childList: true, subtree: true });
}"""


class Tally:
    """What every page saw: latencies in seconds by kind, and which (page, token) pairs arrived."""

    def __init__(self):
        self.sent: dict[int, float] = {}
        self.conv_of: dict[int, int] = {}
        self.sse: list[float] = []
        self.fragment: list[float] = []
        self.dom: list[float] = []
        self.post: list[float] = []
        self.errors: list[str] = []
        self.fragments = 0


class SimPage:
    """One simulated conversation page."""

    def __init__(self, client, conv_id: int, session: dict, tally: Tally, ready: asyncio.Queue, tasks: set):
        self.client, self.conv_id, self.session, self.tally = client, conv_id, session, tally
        self.ready, self.tasks = ready, tasks
        self.cookie = {"Cookie": f"{SESSION_COOKIE}={session['cookie']}"}
        self.framed: set[int] = set()
        self.shown: set[int] = set()
        self.others: set[int] = set()
        self.waits: dict[str, asyncio.TimerHandle] = {}
        self.busy: dict[str, bool] = {}
        self.again: dict[str, bool] = {}

    def spawn(self, coro) -> None:
        """Run `coro` in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self) -> None:
        """Follow the live stream until cancelled."""
        params = [("topic", f"conversation:{self.conv_id}"), ("topic", f"agent:{self.session['agent_id']}")]
        async with self.client.stream("GET", "/api/v1/live", params=params, headers=self.cookie, timeout=None) as r:
            if r.status_code != 200:
                self.tally.errors.append(f"live stream: {r.status_code}")
                await self.ready.put(False)
                return
            name = None
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.frame(name, line[6:])
                    name = None

    def frame(self, name: str | None, data: str) -> None:
        """What workspace.js does with one SSE frame."""
        now = time.time()
        if name == "ready":
            self.ready.put_nowait(True)
            self.spawn(self.presence())
            return
        if name in ("presence", "typing"):
            d = json.loads(data)
            who = d.get("who") or {}
            if who.get("id") != self.session["agent_id"] and d.get("conversation_id") == self.conv_id:
                if who.get("id") not in self.others and d.get("state") == "viewing":
                    self.spawn(self.presence())  # let the newcomer know we are here too
                self.others.add(who.get("id"))
            return
        if name == "close":
            self.tally.errors.append(f"live stream closed: {data[:200]}")
            return
        if not name or "." not in name:
            return
        d = json.loads(data)
        if (d.get("event") or {}).get("conversation_id") != self.conv_id:
            return
        if name == "message.received":
            for m in TOKEN.finditer((d.get("message") or {}).get("text") or ""):
                token = int(m.group(1))
                if token in self.tally.sent and token not in self.framed:
                    self.framed.add(token)
                    self.tally.sse.append(now - self.tally.sent[token])
        self.later("timeline", TIMELINE_WAIT)
        if name.startswith("conversation."):
            self.later("panel", PANEL_WAIT)

    def later(self, what: str, wait: float) -> None:
        """Throttle, as the page's JS does: one refresh `wait` after the first event, whatever follows meanwhile."""
        if what not in self.waits:
            self.waits[what] = asyncio.get_running_loop().call_later(wait, self.due, what)

    def due(self, what: str) -> None:
        """One request at a time per element; a trigger during one queues the next (htmx's default)."""
        del self.waits[what]
        if self.busy.get(what):
            self.again[what] = True
            return
        self.busy[what] = True
        self.spawn(self.fetch(what))

    async def fetch(self, what: str) -> None:
        """The fragment GETs htmx makes, and what the timeline shows."""
        try:
            while True:
                self.again[what] = False
                if what == "timeline":
                    await self.fragment("timeline")
                else:
                    await asyncio.gather(self.fragment("head"), self.fragment("panel"))
                if not self.again[what]:
                    return
        finally:
            self.busy[what] = False

    async def fragment(self, part: str) -> None:
        """GET one fragment as htmx would."""
        url = f"/conversations/{self.conv_id}/{part}"
        target = {"timeline": "timeline", "head": "thread-head", "panel": "panel"}[part]
        headers = self.cookie | {"HX-Request": "true", "HX-Target": target, "HX-Trigger": target}
        r = await self.client.get(url, headers=headers)
        now = time.time()
        self.tally.fragments += 1
        if r.status_code != 200:
            self.tally.errors.append(f"{part}: {r.status_code}")
            return
        if part == "timeline":
            for m in TOKEN.finditer(r.text):
                token = int(m.group(1))
                if token in self.tally.sent and token not in self.shown:
                    self.shown.add(token)
                    self.tally.fragment.append(now - self.tally.sent[token])

    async def presence(self) -> None:
        """The `viewing` signal."""
        headers = self.cookie | {"x-csrf-token": self.session["csrf"]}
        r = await self.client.post(
            "/api/v1/live/presence", json={"conversation_id": self.conv_id, "state": "viewing"}, headers=headers
        )
        if r.status_code != 204:
            self.tally.errors.append(f"presence: {r.status_code}")


async def chromium_pages(url: str, pages: list[tuple[int, dict]]):
    """Real Chromium tabs on conversation pages, each watching its timeline; returns (browser, pw, tabs)."""
    from playwright.async_api import async_playwright

    from workspace import CHROMIUM

    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
    tabs = []
    for conv_id, session in pages:
        context = await browser.new_context(base_url=url, viewport={"width": 1280, "height": 720})
        await context.add_cookies([{"name": SESSION_COOKIE, "value": session["cookie"], "url": url}])
        tab = await context.new_page()
        await tab.goto(f"/conversations/{conv_id}")
        await tab.wait_for_selector("html[data-ready]", timeout=30_000)
        await tab.evaluate(OBSERVER, RUN)
        tabs.append((conv_id, tab))
    return pw, browser, tabs


async def drive(url: str, fx: dict, token: str, *, pages: int, real: int, rate: float, seconds: float) -> dict:
    """Open the pages, send messages at `rate` for `seconds`, and collect every latency."""
    import httpx2

    tally, tasks = Tally(), set()
    crew = list(fx["sessions"].values())
    by_agent = {s["agent_id"]: s for s in crew}
    # Two pages per conversation: its owner's and a colleague's; the Chromium tabs are owners' pages (one each).
    owners = [(c["id"], by_agent[c["owner"]]) for c in fx["live"]]
    colleagues = [(c, crew[(crew.index(s) + 1) % len(crew)]) for c, s in owners]
    layout = (owners + colleagues)[:pages]
    watched = Counter(c for c, _ in layout)
    in_chromium = Counter(c for c, _ in layout[:real])
    limits = httpx2.Limits(max_connections=3 * pages + 50, max_keepalive_connections=3 * pages + 50)
    async with httpx2.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        pw, browser, tabs = await chromium_pages(url, layout[:real])
        ready: asyncio.Queue = asyncio.Queue()
        sims = [SimPage(client, c, s, tally, ready, tasks) for c, s in layout[real:]]
        streams = [asyncio.create_task(p.run()) for p in sims]
        for _ in sims:
            if not await asyncio.wait_for(ready.get(), 60):
                raise RuntimeError(f"a live page could not connect: {tally.errors[:3]}")
        await asyncio.sleep(2)  # the presence round settles
        live = [c for c in fx["live"] if watched[c["id"]]]  # messages go where pages are open
        rng = random.Random(5)
        loop = asyncio.get_running_loop()
        start, k = loop.time(), 0
        auth = {"Authorization": f"Bearer {token}"}

        async def post(n: int, conv: dict) -> None:
            body = {
                "inbox_id": conv["inbox_id"],
                "sender": {"kind": "email", "address": conv["address"]},
                "text": f"Any news on my order? (bench wb{RUN}n{n}x)",
                "conversation_id": conv["id"],
            }
            tally.conv_of[n] = conv["id"]
            tally.sent[n] = time.time()
            r = await client.post("/api/v1/messages/inbound", json=body, headers=auth)
            tally.post.append(time.time() - tally.sent[n])
            if r.status_code not in (200, 201):
                tally.errors.append(f"inbound: {r.status_code} {r.text[:200]}")

        senders = set()
        while k < rate * seconds:
            await asyncio.sleep(max(0.0, start + k / rate - loop.time()))
            task = asyncio.create_task(post(k, rng.choice(live)))
            senders.add(task)
            task.add_done_callback(senders.discard)
            k += 1
        await asyncio.gather(*senders)
        # The last pushes and fragments: until every simulated page has shown its messages, for at most 10 s.
        expected_sim = sum(watched[tally.conv_of[n]] - in_chromium[tally.conv_of[n]] for n in tally.sent)
        deadline = loop.time() + 10
        while len(tally.fragment) < expected_sim and loop.time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # and the Chromium tabs
        for _conv_id, tab in tabs:
            seen = await tab.evaluate("() => window.__seen")
            for token, at in seen.items():
                if int(token) in tally.sent:
                    tally.dom.append(at / 1000 - tally.sent[int(token)])
        for s in streams:
            s.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        for t in list(tasks):
            t.cancel()
        await browser.close()
        await pw.stop()
    expected_dom = sum(in_chromium[tally.conv_of[n]] for n in tally.sent)
    return {"tally": tally, "expected_sim": expected_sim, "expected_dom": expected_dom, "sent": len(tally.sent)}


def measure(target: dict, port: int, fx: dict, args) -> dict:
    """Serve with 2 workers and Redis fan-out, open the pages, and stream messages into their conversations."""
    from workspace import summary

    with target["db"].write() as s:
        _, token = agents.create_token(
            s, SYSTEM, name=f"workbench-{secrets.token_hex(3)}", scopes=["inbound"], agent_id=fx["viewer"]["agent_id"]
        )
    extra = {"RAPPORT_REDIS_URL": "redis://127.0.0.1:6379/0", "RAPPORT_REDIS_CHANNEL": f"bench:{secrets.token_hex(4)}"}
    with server.rapport(target, port, workers=2, env=extra) as (url, pids):
        before = {pid: _cpu_seconds(pid) for pid in [*pids, os.getpid()]}
        started = time.monotonic()
        got = asyncio.run(
            drive(
                url,
                fx,
                token,
                pages=args.live_pages,
                real=args.chromium_pages,
                rate=args.push_rate,
                seconds=args.push_seconds,
            )
        )
        wall = time.monotonic() - started
        cpu = {pid: round((_cpu_seconds(pid) - t) / wall, 2) for pid, t in before.items()}
    tally = got["tally"]
    return {
        "pages": args.live_pages,
        "chromium_pages": args.chromium_pages,
        "rate": args.push_rate,
        "sent": got["sent"],
        "sse": summary(tally.sse) | {"expected": got["expected_sim"]},
        "fragment": summary(tally.fragment) | {"expected": got["expected_sim"]},
        "dom": summary(tally.dom) | {"expected": got["expected_dom"]},
        "post": summary(tally.post),
        "fragment_requests": tally.fragments,
        # CPU cores each process used on average while the pages were open (the server's workers, then this one).
        "cpu_cores": {"server": [cpu[p] for p in pids], "bench": cpu[os.getpid()]},
        "errors": tally.errors[:20],
        "error_count": len(tally.errors),
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    """Run the live pages benchmark on its own, on a data set imported by an earlier run (or imported now)."""
    import argparse

    import dataset
    import workspace

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--live-pages", type=int, default=200)
    parser.add_argument("--chromium-pages", type=int, default=5)
    parser.add_argument("--live-agents", type=int, default=16)
    parser.add_argument("--push-rate", type=float, default=20)
    parser.add_argument("--push-seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    data = dataset.ensure_file(BENCH / "data", conversations=args.conversations, messages=args.messages)
    target = dataset.prepare(args.backend, data, reuse=True)
    fx = workspace.fixture(target, agents_count=args.live_agents, conversations=args.live_pages // 2)
    print(json.dumps(measure(target, args.port, fx, args), indent=2))


if __name__ == "__main__":
    main()
