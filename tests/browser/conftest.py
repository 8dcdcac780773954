"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server on a loopback port.

The server is uvicorn serving `create_app` in a thread, started per test on the `engine` fixture's database
(SQLite file or PostgreSQL) with its own engine, so each backend is exercised, and stopped after the test.
Without /usr/bin/chromium the tests skip on a developer machine but fail in CI (CI or RAPPORT_TEST_DATABASE_URL set).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from rapport.app import create_app
from rapport.config import Settings, use_settings
from rapport.db.engine import make_engine
from rapport.db.session import Database
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
def server(db, engine, settings, tmp_path, monkeypatch):
    """`rapport.app:create_app` served by uvicorn on a loopback port, on the test database; yields its base URL.

    The server runs in a thread of this process, configured from the environment as `rapport serve` is (a fixture
    may set RAPPORT_* variables before it starts). A child process spent seconds importing the app before every
    test; a thread reuses what is imported. Its settings are the process's settings while it runs.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = engine.url.render_as_string(hide_password=False)
    for name, value in {
        "RAPPORT_DATABASE_URL": url,
        "RAPPORT_DATA_DIR": str(tmp_path / "server-data"),
        "RAPPORT_SECRET_KEY": "browser-test-secret",
        "RAPPORT_BASE_URL": base,
        "RAPPORT_LIVE_HEARTBEAT_SECONDS": "5",
    }.items():
        monkeypatch.setenv(name, value)
    served = Settings()
    # Its own engine and pool, as a server process has (on SQLite its own writer lock, queued with the tests').
    database = Database(make_engine(served.resolved_database_url, pool_size=served.db_pool_size))
    app = create_app(served, db=database)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, name="browser-test-server", daemon=True)
    thread.start()
    try:
        while not uv.started:  # set once the lifespan has run and the socket listens
            if not thread.is_alive():
                raise RuntimeError("the server did not start (see the log above)")
            time.sleep(0.01)
        yield base
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
        database.engine.dispose()
        use_settings(settings)


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
