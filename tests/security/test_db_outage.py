"""A database outage: 503 problem+json with Retry-After (a readable page in a browser), a readiness check that
reflects the database, and one log line per kind of failure per interval instead of a traceback per request.

No shared server is harmed: the app is pointed at a PostgreSQL port nothing listens on, or at an SQLite path that
cannot be opened (a directory where the file should be).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from rapport.app import create_app
from rapport.db import outage
from tests.conftest import free_port


@pytest.fixture(params=["postgresql-closed-port", "sqlite-unopenable"])
def down(request, settings, tmp_path, monkeypatch):
    """An app whose database cannot be reached, and its client."""
    if request.param == "postgresql-closed-port":
        settings.database_url = f"postgresql://postgres@127.0.0.1:{free_port()}/rapport"
    else:
        where = tmp_path / "unopenable.db"
        where.mkdir()  # sqlite cannot open a directory: "unable to open database file"
        settings.database_url = f"sqlite:///{where}"
    monkeypatch.setattr(outage, "REPORTS", outage.FailureLog())
    import rapport.web.outage as web_outage

    monkeypatch.setattr(web_outage, "REPORTS", outage.REPORTS)
    app = create_app(settings, run_worker=False)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def _problem_503(response, settings) -> dict:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == str(settings.db_retry_after_seconds)
    body = response.json()
    assert body["status"] == 503 and "database" in body["detail"].lower()
    return body


def test_api_requests_get_503_problem_json_with_retry_after(down, settings):
    bearer = {"Authorization": "Bearer rap_nothing"}
    _problem_503(down.get("/api/v1/conversations", headers=bearer), settings)
    _problem_503(down.get("/api/v1/conversations/1", headers=bearer), settings)  # the lean read path
    inbound = {"inbox_id": 1, "sender": {"kind": "email", "address": "jo@customer.test"}, "text": "Hello"}
    _problem_503(down.post("/api/v1/messages/inbound", json=inbound, headers=bearer), settings)  # the fast path


def test_pages_get_a_readable_503(down, settings):
    down.cookies.set("rapport_session", "a-session-the-database-would-know")
    r = down.get("/inbox", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/html")
    assert r.headers["retry-after"] == str(settings.db_retry_after_seconds)
    assert "unavailable" in r.text and "Traceback" not in r.text


def test_readiness_reflects_the_database_and_liveness_does_not(down, settings):
    assert down.get("/healthz").status_code == 200  # the process is alive
    _problem_503(down.get("/readyz"), settings)


def test_readiness_is_ok_when_the_database_answers(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_one_log_line_per_kind_per_interval_and_no_tracebacks(down, settings, caplog, frozen_clock):
    bearer = {"Authorization": "Bearer rap_nothing"}
    with caplog.at_level(logging.INFO):
        for _ in range(20):
            assert down.get("/api/v1/conversations", headers=bearer).status_code == 503
        lines = [r for r in caplog.records if r.name.startswith("rapport") and r.levelno >= logging.WARNING]
        assert len(lines) == 1 and "database unavailable" in lines[0].getMessage()
        assert not any(r.exc_info for r in caplog.records)  # no traceback for any of them
        frozen_clock[0] += timedelta(seconds=settings.db_error_log_seconds + 1)
        assert down.get("/api/v1/conversations", headers=bearer).status_code == 503
        lines = [r for r in caplog.records if r.name.startswith("rapport") and r.levelno >= logging.WARNING]
    assert len(lines) == 2 and "19 more like it" in lines[1].getMessage()


def test_a_bad_query_is_not_mistaken_for_an_outage():
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert outage.is_unavailable(OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert not outage.is_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not outage.is_unavailable(ValueError("no"))
