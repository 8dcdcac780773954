"""The access log: one line per request with method, path, status and duration, and never a secret."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from rapport.app import create_app
from rapport.cli import log_config


def _access(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "rapport.access"]


def test_each_request_is_one_line_without_its_query_string(client, caplog):
    with caplog.at_level(logging.INFO, logger="rapport.access"):
        client.get("/healthz?access_token=s3cret-query-value")
        client.get("/api/v1/conversations", headers={"Authorization": "Bearer rap_s3cret"})
    lines = _access(caplog)
    assert len(lines) == 2
    method, path, status, millis, unit = lines[0].split()
    assert (method, path, status, unit) == ("GET", "/healthz", "200", "ms") and float(millis) >= 0
    assert lines[1].startswith("GET /api/v1/conversations 401 ")
    assert not any("s3cret" in line for line in lines)


def test_a_token_in_the_path_is_not_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="rapport.access"):
        client.get("/welcome/invitation-s3cret-token", follow_redirects=False)
    (line,) = _access(caplog)
    assert "s3cret" not in line and line.startswith("GET /welcome/[secret] ")


def test_the_access_log_can_be_turned_off(db, settings, caplog):
    settings.access_log = False
    app = create_app(settings, db=db, run_worker=False)
    with caplog.at_level(logging.INFO, logger="rapport.access"), TestClient(app) as c:
        c.get("/healthz")
    assert _access(caplog) == []


def test_the_server_prints_access_lines():
    # uvicorn runs with log_level=warning; Rapport's access logger is configured to print its INFO lines anyway.
    loggers = log_config()["loggers"]
    assert loggers["rapport.access"]["level"] == "INFO" and loggers["rapport.access"]["handlers"]
