"""Test fixtures: every database test runs on SQLite and, when RAPPORT_TEST_DATABASE_URL is set, PostgreSQL."""

from __future__ import annotations

import email
import os
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import argon2.profiles
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import text

import rapport.models  # noqa: F401  (registers every table on Base.metadata)
from rapport.agents import service as agents
from rapport.app import create_app
from rapport.config import Settings, use_settings
from rapport.db.base import Base
from rapport.db.engine import make_engine
from rapport.db.migrate import upgrade
from rapport.db.session import Database
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.kit import clock, secrets
from rapport.models.enums import Role
from rapport.sla import known
from tests.route_cache import share_compiled_routes

PG_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL")
# Passwords are still real Argon2id hashes, at the cheapest cost: production cost is for attackers, not fixtures.
secrets.use_hash_parameters(argon2.profiles.CHEAPEST)
share_compiled_routes()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# Dependents first, so deleting never trips a foreign key; every table the models declare.
TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request, tmp_path_factory):
    """A migrated database per backend, shared by the session and emptied between tests."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "rapport.db"
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = make_engine(PG_URL)
        with eng.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            conn.commit()
    upgrade(eng)
    if eng.dialect.name == "postgresql":
        with eng.connect() as conn:
            eng.rapport_sequences = list(
                conn.scalars(
                    text("SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")
                )
            )
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings pointing at a fresh data directory."""
    return use_settings(Settings(data_dir=tmp_path / "data", secret_key="test-secret", auto_close_after_days=4))


@pytest.fixture
def db(engine, settings) -> Iterator[Database]:
    """The database, empty at the start of each test."""
    database = Database(engine)
    yield database
    empty(engine)


def empty(engine) -> None:
    """Delete every row and restart the ids, as a fresh database has them.

    DELETE, not TRUNCATE: the tables hold a test's few rows, and PostgreSQL's TRUNCATE of every table replaces
    each table's files (0.1-1 s a test); deleting a few rows and restarting the sequences costs milliseconds.
    """
    deletes = [f"DELETE FROM {table}" for table in TABLES]  # noqa: S608 (the models' own table names)
    known.forget()  # the next test's policies and calendar versions get the same ids and stamps
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # one round trip
            restarts = ", ".join(f"setval('{name}', 1, false)" for name in engine.rapport_sequences)
            conn.exec_driver_sql("; ".join([*deletes, f"SELECT {restarts}"]))
        else:
            for delete in deletes:
                conn.exec_driver_sql(delete)


@pytest.fixture
def frozen_clock() -> Iterator[list[datetime]]:
    """A clock that stands still until the test moves it: `frozen_clock[0] += timedelta(...)`."""
    current = [datetime(2026, 11, 2, 9, 0, tzinfo=UTC)]
    clock.set_clock(lambda: current[0])
    yield current
    clock.set_clock(None)


class World:
    """A small organisation: an admin, a supervisor, two agents, a team, an email and an API inbox, tokens."""

    def __init__(self, db: Database):
        with db.write() as s:
            self.team = agents.create_team(s, SYSTEM, name="Support")
            self.admin = agents.create_agent(
                s, SYSTEM, name="Ada Admin", email="ada@example.com", role=Role.admin, password="correct horse battery"
            )
            self.supervisor = agents.create_agent(
                s, SYSTEM, name="Sam Super", email="sam@example.com", role=Role.supervisor, team_ids=[self.team.id]
            )
            self.agent = agents.create_agent(
                s,
                SYSTEM,
                name="Alex Agent",
                email="alex@example.com",
                role=Role.agent,
                team_ids=[self.team.id],
                password="agent password 1",
            )
            self.agent2 = agents.create_agent(s, SYSTEM, name="Bo Agent", email="bo@example.com", role=Role.agent)
            self.email_inbox = inboxes.create(
                s, SYSTEM, name="Support email", channel="email", address="help@example.com", team_id=self.team.id
            )
            self.api_inbox = inboxes.create(s, SYSTEM, name="API", channel="api")
            scopes = ["read", "write", "inbound", "admin"]
            _, self.admin_token = agents.create_token(s, SYSTEM, name="admin", scopes=scopes, agent_id=self.admin.id)
            _, self.agent_token = agents.create_token(
                s, SYSTEM, name="agent", scopes=["read", "write", "inbound"], agent_id=self.agent.id
            )
            _, self.sup_token = agents.create_token(
                s, SYSTEM, name="sup", scopes=["read", "write", "inbound"], agent_id=self.supervisor.id
            )
            _, self.readonly_token = agents.create_token(s, SYSTEM, name="ro", scopes=["read"], agent_id=self.agent.id)

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        """Headers for a bearer token."""
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(db) -> World:
    """The small organisation, created fresh."""
    return World(db)


@pytest.fixture
def app(db, settings):
    """The app on the test database, without the background worker (tests run jobs explicitly)."""
    return create_app(settings, db=db, run_worker=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """An HTTP client for the app."""
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def csrf_of(html: str) -> str:
    """The CSRF token a workspace page carries."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in_as(client: TestClient, email: str, password: str, *, next: str = "/admin", page: str = "/profile") -> str:
    """Sign the client in through the password form (sent on to `next`); returns the CSRF token read off `page`."""
    r = client.post("/sign-in", data={"email": email, "password": password, "next": next}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == next, r.text
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return csrf_of(shown.text)


@pytest.fixture
def signed_in(client, world) -> str:
    """The client signed in as Alex Agent (password sign-in through the form); returns the CSRF token."""
    return sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")


@pytest.fixture
def admin_csrf(client, world) -> str:
    """The client signed in as Ada Admin; returns the CSRF token."""
    return sign_in_as(client, "ada@example.com", "correct horse battery")


SUPERVISOR_PASSWORD = "supervisor password 1"


@pytest.fixture
def supervisor_csrf(client, db, world) -> str:
    """The client signed in as Sam Super (given the password SUPERVISOR_PASSWORD first); returns the CSRF token."""
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.supervisor.id, password=SUPERVISOR_PASSWORD)
    return sign_in_as(client, "sam@example.com", SUPERVISOR_PASSWORD)


def inbound(
    client: TestClient, token: str, inbox_id: int, address: str = "jo@customer.test", text: str = "Hello", **extra
) -> dict:
    """Post an inbound message through the API and return the JSON."""
    body = {"inbox_id": inbox_id, "sender": {"kind": "email", "address": address, "name": "Jo"}, "text": text, **extra}
    headers = World.auth(token) | extra.pop("headers", {}) if "headers" in extra else World.auth(token)
    body.pop("headers", None)
    r = client.post("/api/v1/messages/inbound", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


LATER = timedelta(minutes=5)


class SmtpInbox:
    """An aiosmtpd handler that keeps what it receives: parsed messages and their envelopes."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpInbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port; the system mailer's settings point at it."""
    port = free_port()
    received = SmtpInbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    received.port = port
    yield received
    controller.stop()
