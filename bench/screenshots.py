"""Screenshots of the workspace before and after a change, with an axe-core summary of each page (a tool, not a test).

Two demos are compared page by page — the inbox, a conversation, the supervisor board and the chat widget — at
1280x800 (laptop) and 390x844 (phone), signed in as the demo agent. Each page is screenshotted (the first screen, as
a person sees it on arrival, so each PNG stays small) and checked with the vendored axe-core; the violations are
counted by impact into a Markdown table.

Either point it at demos already running, or give it two source trees and it starts `rapport demo` from each on its
own port and data directory (and stops them at the end):

    git worktree add --detach /tmp/rapport-old <commit>       # plus the vendored static files and node_modules
    .venv/bin/python bench/screenshots.py --before-tree /tmp/rapport-old --after-tree . \\
        --before-port 18601 --after-port 18602 --out docs/screenshots/workspace
    .venv/bin/python bench/screenshots.py --before http://127.0.0.1:18601 --after http://127.0.0.1:18602

Writes OUT/before/*.png, OUT/after/*.png and OUT/axe.md. Needs Chromium (/usr/bin/chromium) and Playwright. An old
tree that does not find the demo's customer utterances is told where they are with RAPPORT_DEMO_UTTERANCES (the
environment is passed on to both demos). docs/screenshots/workspace/ was made with:

    RAPPORT_DEMO_UTTERANCES=../shared/data/bitext/customer_support_utterances.csv \
        .venv/bin/python bench/screenshots.py --before-tree ../wt/slarest-old --after-tree .
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "src" / "rapport" / "web" / "static" / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}
IMPACTS = ("critical", "serious", "moderate", "minor")
SIGN_IN = ("demo@rapport.example", "rapport-demo")
CHAT = "/chat/demo?key=pk_demo_acme_website"
PNG_LIMIT = 300 * 1024
# The widget lives in a closed shadow root; opened for the screenshot's clicks and for axe to see inside it.
OPEN_SHADOW = (
    "const attach = Element.prototype.attachShadow;"
    "Element.prototype.attachShadow = function (init) { return attach.call(this, { ...init, mode: 'open' }); };"
)


def start_demo(tree: Path, port: int, data_dir: Path, conversations: int, customers: int) -> subprocess.Popen:
    """`rapport demo` from a source tree on a loopback port with its own data directory; returns once it answers."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    log = (data_dir.parent / f"demo-{port}.log").open("w")
    command = [
        sys.executable, "-c", "from rapport.cli import main; main()", "demo", "--data-dir", str(data_dir),
        "--conversations", str(conversations), "--customers", str(customers), "--host", "127.0.0.1",
        "--port", str(port), "--live-every", "0",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the demo in {tree} stopped (see {log.name})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(1)
    process.terminate()
    raise SystemExit(f"the demo in {tree} did not answer on port {port} within 10 minutes")


def sign_in(page: Page) -> None:
    """Sign in through the form as the demo agent."""
    page.goto("/sign-in")
    page.get_by_label("Email").fill(SIGN_IN[0])
    page.get_by_label("Password").fill(SIGN_IN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inbox/**")


def axe(page: Page) -> list[dict]:
    """axe-core's violations on the page: rule, impact, how many elements."""
    page.evaluate(AXE.read_text())  # through the debugger protocol: the page's CSP does not apply
    return page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length})))"
    )


def first_conversation(base: str) -> str:
    """The path of the conversation at the top of a demo's inbox (All)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(base_url=base).new_page()
        sign_in(page)
        page.goto("/inbox/all")
        path = page.eval_on_selector("a[href^='/conversations/']", "a => a.getAttribute('href')")
        browser.close()
    return path


def open_chat(page: Page) -> None:
    """The demo page with the widget opened and a first message sent, as a visitor sees it."""
    page.goto(CHAT)
    host = page.locator("[data-rapport-chat]")
    host.get_by_role("button").first.click()
    page.wait_for_timeout(500)
    text = host.locator("textarea, input[type=text]").first
    if text.count():
        text.fill("Hello, my order has not arrived yet.")
        text.press("Enter")
    page.wait_for_timeout(1000)


def capture(base: str, out: Path, conversation: str) -> dict[str, list[dict]]:
    """Screenshot and axe-check each page at each viewport; the violations by `page-viewport`."""
    out.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict]] = {}
    pages = {"inbox": "/inbox/all", "conversation": conversation, "supervisor": "/supervisor"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for viewport, (width, height) in VIEWPORTS.items():
            context = browser.new_context(base_url=base, viewport={"width": width, "height": height})
            context.add_init_script(OPEN_SHADOW)
            page = context.new_page()
            sign_in(page)
            for name, path in pages.items():
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)  # htmx's load triggers (counts, badges) swap in
                page.screenshot(path=str(out / f"{name}-{viewport}.png"))
                found[f"{name}-{viewport}"] = axe(page)
            context.close()
            visitor = browser.new_context(base_url=base, viewport={"width": width, "height": height})
            visitor.add_init_script(OPEN_SHADOW)
            page = visitor.new_page()
            open_chat(page)
            page.screenshot(path=str(out / f"chat-widget-{viewport}.png"))
            found[f"chat-widget-{viewport}"] = axe(page)
            visitor.close()
        browser.close()
    for png in sorted(out.glob("*.png")):
        if png.stat().st_size > PNG_LIMIT:
            print(f"warning: {png} is {png.stat().st_size // 1024} KB", file=sys.stderr)
    return found


def _cell(violations: list[dict]) -> str:
    rules = Counter(v["impact"] for v in violations)
    nodes = Counter()
    for v in violations:
        nodes[v["impact"]] += v["nodes"]
    return " / ".join(f"{rules[i]} ({nodes[i]})" for i in IMPACTS)


def _commit(tree: Path | None) -> str:
    if tree is None:
        return "a running demo"
    found = subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return found.stdout.strip()[:100] or str(tree)


def report(before: dict, after: dict, sides: dict[str, str], conversation: str) -> str:
    """The axe summary as Markdown: per page and viewport, violations by impact before and after."""
    head = " / ".join(IMPACTS)
    lines = [
        "# The workspace before and after issue #18: axe-core violations",
        "",
        f"Made by `bench/screenshots.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with the vendored axe-core "
        "(`src/rapport/web/static/vendor/axe.min.js`), signed in as the demo agent; the chat widget as a visitor "
        f"who opened it and wrote once. The conversation is `{conversation}` in both demos.",
        "",
        f"- **before**: {sides['before']}",
        f"- **after**: {sides['after']}",
        "",
        f"Each cell: rules violated by impact, {head}, with the elements affected in brackets. The screenshots are",
        "`before/<page>-<viewport>.png` and `after/<page>-<viewport>.png` beside this file.",
        "",
        f"| page | viewport | before ({head}) | after ({head}) |",
        "| --- | --- | --- | --- |",
    ]
    for key in after:
        name, viewport = key.rsplit("-", 1)
        lines.append(f"| {name} | {viewport} | {_cell(before.get(key, []))} | {_cell(after[key])} |")
    total = {side: Counter(v["impact"] for vs in found.values() for v in vs) for side, found in (
        ("before", before), ("after", after))}  # fmt: skip
    lines += [
        "",
        "Rules violated, all pages and viewports: "
        + "; ".join(f"{side} " + ", ".join(f"{total[side][i]} {i}" for i in IMPACTS) for side in ("before", "after"))
        + ".",
        "",
        "## Which rules",
        "",
    ]
    shots = ["", "## The screenshots", "", "| page | viewport | before | after |", "| --- | --- | --- | --- |"]
    for key in after:
        name, viewport = key.rsplit("-", 1)
        shots.append(f"| {name} | {viewport} | ![before](before/{key}.png) | ![after](after/{key}.png) |")
    for side, found in (("before", before), ("after", after)):
        lines.append(f"**{side}**")
        lines.append("")
        for key, violations in found.items():
            if violations:
                rules = ", ".join(f"`{v['id']}` ({v['impact']}, {v['nodes']})" for v in violations)
                lines.append(f"- {key}: {rules}")
        if not any(found.values()):
            lines.append("- none")
        lines.append("")
    return "\n".join(lines + shots)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="URL of a running demo of the old workspace")
    parser.add_argument("--after", help="URL of a running demo of the new workspace")
    parser.add_argument("--before-tree", type=Path, help="source tree of the old workspace (a demo is started)")
    parser.add_argument("--after-tree", type=Path, help="source tree of the new workspace (a demo is started)")
    parser.add_argument("--before-port", type=int, default=18601)
    parser.add_argument("--after-port", type=int, default=18602)
    parser.add_argument("--conversations", type=int, default=1500)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "workspace")
    args = parser.parse_args()
    started: list[subprocess.Popen] = []
    bases: dict[str, str] = {}
    work = Path(tempfile.mkdtemp(prefix="rapport-screenshots-"))
    try:
        for side, url, tree, port in (
            ("before", args.before, args.before_tree, args.before_port),
            ("after", args.after, args.after_tree, args.after_port),
        ):
            if url:
                bases[side] = url.rstrip("/")
            elif tree:
                started.append(start_demo(tree.resolve(), port, work / side, args.conversations, args.customers))
                bases[side] = f"http://127.0.0.1:{port}"
            else:
                parser.error(f"give --{side} (a URL) or --{side}-tree (a source tree)")
        conversation = first_conversation(bases["after"])
        found = {side: capture(bases[side], args.out / side, conversation) for side in ("before", "after")}
        sides = {"before": _commit(args.before_tree), "after": _commit(args.after_tree)}
        (args.out / "axe.md").write_text(report(found["before"], found["after"], sides, conversation) + "\n")
        print((args.out / "axe.md").read_text())
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
