"""`rapport serve --workers N` with RAPPORT_EMAIL_SMTP_LISTEN: the SMTP receiver is bound once, by the supervising
process, and no web process fails (or logs a traceback) trying to bind it again.
"""

from __future__ import annotations

import logging
import smtplib

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rapport import cli
from rapport.app import create_app
from rapport.config import Settings
from rapport.models import Message
from tests.conftest import free_port


def test_the_smtp_listener_is_bound_once_for_several_web_processes(db, world, settings, monkeypatch, caplog):
    listen = f"127.0.0.1:{free_port()}"
    url = db.engine.url.render_as_string(hide_password=False)
    for name, value in {
        "RAPPORT_EMAIL_SMTP_LISTEN": listen,
        "RAPPORT_DATABASE_URL": url,
        "RAPPORT_DATA_DIR": str(settings.data_dir),
        "RAPPORT_SECRET_KEY": "test-secret",
    }.items():
        monkeypatch.setenv(name, value)
    supervisor = Settings()
    receiver = cli.smtp_in_supervisor(supervisor, workers=2, run_worker=True)
    assert receiver is not None
    clients = []
    try:
        with caplog.at_level(logging.WARNING):
            # Two web processes start from the environment the supervisor leaves them (as uvicorn spawns them).
            for _ in range(2):
                client = TestClient(create_app(Settings(), db=db, run_worker=True))
                client.__enter__()
                clients.append(client)
                assert client.app.state.mail.started.wait(30)  # its SMTP set-up is done (a guard, not a timing)
            with smtplib.SMTP(*listen.split(":")) as smtp:
                refused = smtp.sendmail(
                    "jo@customer.test",
                    ["help@example.com"],
                    b"From: jo@customer.test\r\nTo: help@example.com\r\nSubject: Hi\r\nMessage-ID: <w1@customer.test>"
                    b"\r\n\r\nHello\r\n",
                )
            assert refused == {}
        assert not [r for r in caplog.records if "SMTP receiver" in r.getMessage() or r.exc_info]
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(Message)) == 1
    finally:
        for client in clients:
            client.__exit__(None, None, None)
        receiver.stop()


def test_one_process_leaves_the_listener_to_the_app(settings):
    settings.email_smtp_listen = f"127.0.0.1:{free_port()}"
    assert cli.smtp_in_supervisor(settings, workers=1, run_worker=True) is None
    assert cli.smtp_in_supervisor(settings, workers=2, run_worker=False) is None  # no worker, no mail
