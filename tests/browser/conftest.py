"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn process on a loopback port.

The server is a child process started per test on the `engine` fixture's database (SQLite file or PostgreSQL),
so each backend is exercised, and it is stopped by its PID. Without /usr/bin/chromium the tests skip on a
developer machine but fail in CI (CI or RAPPORT_TEST_DATABASE_URL set).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IN_CI = bool(os.environ.get("CI") or os.environ.get("RAPPORT_TEST_DATABASE_URL"))
pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(config, items):
    """Skip (locally) or fail (CI) when there is no Chromium."""
    if Path(CHROMIUM).exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def server(db, engine, settings, tmp_path):
    """`rapport.app:create_app` served by uvicorn in a child process on the test database; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "RAPPORT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "RAPPORT_DATA_DIR": str(tmp_path / "server-data"),
        "RAPPORT_SECRET_KEY": "browser-test-secret",
        "RAPPORT_BASE_URL": base,
        "RAPPORT_LIVE_HEARTBEAT_SECONDS": "5",
    }
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed after the process stops)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "rapport.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {(tmp_path / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:  # refused, reset or slow to answer while it starts (URLError and timeouts are OSErrors)
                time.sleep(0.05)
        else:
            raise RuntimeError("the server did not answer /healthz")
        yield base
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


# Module scope, not session: Playwright's sync API keeps an event loop on this thread while it runs, and it must
# stop before other modules' tests call asyncio.run().
@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; CI installs it with apt-get (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, server):
    """Open pages in fresh browser contexts (separate cookies), closed after the test."""
    contexts = []

    def make(viewport=(1280, 720)):
        context = browser.new_context(base_url=server, viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the form and land on the inbox."""
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inbox/**")


def shot(page, name: str) -> None:
    """Save a screenshot under test-artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
