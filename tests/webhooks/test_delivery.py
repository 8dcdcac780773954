"""Deliveries end to end: event, consumer, worker job, a real HTTP receiver on loopback; retries, dead, redeliver."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx2
from sqlalchemy import event as sa_event
from sqlalchemy import select

from rapport.kernel.permissions import SYSTEM
from rapport.models import Job, WebhookDelivery, WebhookEndpoint
from rapport.webhooks import send, service
from rapport.worker.runner import Worker
from tests.conftest import inbound
from tests.webhooks.conftest import make_endpoint, work


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, at: float | None = None) -> bool:
    """What a receiver does (docs/webhooks.md): recompute the HMAC over "<t>.<body>" and check t is recent."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs((at if at is not None else time.time()) - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, parts["v1"])


def _deliveries(db) -> list[WebhookDelivery]:
    with db.read() as s:
        return list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_message_reaches_the_receiver_after_commit_through_the_worker_signed(client, world, db, started, receiver):
    endpoint_id, secret = make_endpoint(db, receiver.url, event_types=["message.received"])
    worker = Worker(db, interval=30, min_gap=0.05)  # a long poll: only the commit's wake-up gets it there in time
    worker.start()
    try:
        sent = inbound(client, world.agent_token, world.email_inbox.id, text="Where is my parcel?")
        deadline = time.monotonic() + 10
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
        worker.join(timeout=10)
    [got] = receiver.requests
    assert got.path == "/hooks"
    assert verify(secret, got.headers["rapport-signature"], got.body)
    assert not verify("whsec_wrong", got.headers["rapport-signature"], got.body)
    assert not verify(secret, got.headers["rapport-signature"], got.body + b" ")
    payload = json.loads(got.body)
    assert payload["type"] == "message.received" == got.headers["rapport-event"]
    assert payload["message_id"] == sent["message_id"] and payload["conversation_id"] == sent["conversation_id"]
    assert payload["data"]["direction"] == "inbound" and isinstance(payload["id"], int)
    assert (payload["inbox_id"], payload["team_id"]) == (world.email_inbox.id, world.team.id)  # where it happened
    assert got.headers["user-agent"].startswith("Rapport-Webhooks/")
    assert got.headers["content-type"] == "application/json"
    [delivery] = _deliveries(db)
    assert got.headers["rapport-delivery"] == str(delivery.id)
    assert (delivery.state, delivery.attempts, delivery.status_code, delivery.error) == ("delivered", 1, 200, None)
    assert delivery.endpoint_id == endpoint_id and delivery.event_id == payload["id"]
    assert delivery.duration_ms is not None and delivery.response_snippet == '{"ok": true}'


def test_events_an_endpoint_did_not_subscribe_to_are_not_delivered(client, world, db, started, receiver):
    make_endpoint(db, receiver.url, event_types=["conversation.status_changed"])
    inbound(client, world.agent_token, world.email_inbox.id)
    work(db)
    assert receiver.requests == [] and _deliveries(db) == []


def test_every_event_with_star_and_none_to_a_switched_off_endpoint(client, world, db, started, receiver):
    endpoint_id, _ = make_endpoint(db, receiver.url, event_types=["*"])
    off_id, _ = make_endpoint(db, receiver.url, event_types=["*"])
    with db.write() as s:
        service.update_endpoint(s, SYSTEM, off_id, active=False)
    inbound(client, world.agent_token, world.email_inbox.id)
    work(db)
    kinds = {json.loads(r.body)["type"] for r in receiver.requests}
    assert {"conversation.created", "message.received", "customer.created"} <= kinds
    assert {d.endpoint_id for d in _deliveries(db)} == {endpoint_id}


def test_a_500_is_retried_with_backoff_then_delivered(client, world, db, started, receiver, frozen_clock):
    make_endpoint(db, receiver.url, event_types=["message.received"])
    receiver.statuses = [500]
    inbound(client, world.agent_token, world.email_inbox.id)
    assert work(db) == 1
    [delivery] = _deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", 1, 500)
    assert "HTTP 500" in delivery.error
    assert delivery.next_attempt_at == frozen_clock[0] + timedelta(seconds=10)  # the worker's backoff: 2**1 * 5 s
    assert work(db) == 0  # backing off
    frozen_clock[0] += timedelta(seconds=11)
    assert work(db) == 1
    [delivery] = _deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.status_code, delivery.error) == ("delivered", 2, 200, None)
    first, second = receiver.requests
    assert first.body == second.body and first.headers["rapport-delivery"] == second.headers["rapport-delivery"]
    with db.read() as s:
        assert s.scalars(select(Job).where(Job.kind == "webhooks.deliver")).all() == []


def test_dead_after_max_attempts_then_redelivered(client, world, db, started, receiver, frozen_clock, settings):
    settings.webhook_max_attempts = 3
    endpoint_id, _ = make_endpoint(db, receiver.url, event_types=["message.received"])
    receiver.statuses = [503] * 10
    inbound(client, world.agent_token, world.email_inbox.id)
    for _ in range(6):
        work(db)
        frozen_clock[0] += timedelta(hours=1)
    assert len(receiver.requests) == 3
    [delivery] = _deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
    assert "HTTP 503" in delivery.error
    receiver.statuses = []
    with db.write() as s:
        service.redeliver(s, SYSTEM, endpoint_id, delivery.id)
        service.redeliver(s, SYSTEM, endpoint_id, delivery.id)  # twice before it runs: queued once
    assert _deliveries(db)[0].state == "pending"
    assert work(db) == 1
    [delivery] = _deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("delivered", 4, 200)
    assert len(receiver.requests) == 4


def test_redeliver_brings_a_waiting_retry_forward(client, world, db, started, receiver, frozen_clock):
    endpoint_id, _ = make_endpoint(db, receiver.url, event_types=["message.received"])
    receiver.statuses = [500]
    inbound(client, world.agent_token, world.email_inbox.id)
    work(db)
    [delivery] = _deliveries(db)
    assert delivery.state == "failed" and work(db) == 0
    with db.write() as s:
        service.redeliver(s, SYSTEM, endpoint_id, delivery.id)
    assert work(db) == 1  # now, not in 10 s
    assert _deliveries(db)[0].state == "delivered"
    with db.read() as s:
        # one job all along: no second attempt waiting
        assert s.scalars(select(Job).where(Job.kind == "webhooks.deliver")).all() == []


def test_a_test_event_is_sent_once(db, started, receiver):
    endpoint_id, secret = make_endpoint(db, receiver.url, event_types=["message.received"])
    with db.write() as s:
        service.send_test(s, SYSTEM, endpoint_id)
    work(db)
    [got] = receiver.requests
    payload = json.loads(got.body)
    assert payload["type"] == "webhook.test" and payload["id"] is None
    assert payload["data"]["endpoint_id"] == endpoint_id
    assert verify(secret, got.headers["rapport-signature"], got.body)
    assert _deliveries(db)[0].state == "delivered"


def test_the_guard_runs_again_at_send_time(client, world, db, started, receiver):
    endpoint_id, _ = make_endpoint(db, f"http://localhost:{receiver.port}/hooks", event_types=["message.received"])
    with db.write() as s:  # as if the name had moved to a private address after it was saved
        s.get(WebhookEndpoint, endpoint_id).allow_private = False
    inbound(client, world.agent_token, world.email_inbox.id)
    work(db)
    assert receiver.requests == []
    [delivery] = _deliveries(db)
    assert delivery.state == "failed" and delivery.attempts == 1 and delivery.status_code is None
    assert "'localhost' resolves to" in delivery.error and "loopback" in delivery.error


def test_the_request_goes_to_the_checked_address_with_the_name_in_host(db, started, receiver, monkeypatch):
    lookups = []
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "hooks.example":  # a name only this resolver knows, answering loopback
            lookups.append(host)
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    endpoint_id, _ = make_endpoint(db, f"http://hooks.example:{receiver.port}/hooks")
    assert lookups == []  # saving looks nothing up (it runs in a transaction); the name is checked before sending
    with db.write() as s:
        service.send_test(s, SYSTEM, endpoint_id)
    work(db)
    [got] = receiver.requests
    assert got.headers["host"] == f"hooks.example:{receiver.port}"
    assert lookups == ["hooks.example"]  # at send time, and the connection used that answer


def test_timeouts_redirects_and_long_answers(db, started, receiver, settings):
    endpoint_id, _ = make_endpoint(db, receiver.url)
    settings.webhook_response_bytes = 8
    receiver.answer = b"x" * 5000
    with db.write() as s:
        service.send_test(s, SYSTEM, endpoint_id)
    work(db)
    assert _deliveries(db)[-1].response_snippet == "x" * 8

    receiver.statuses, receiver.headers = [302], {"Location": "http://169.254.169.254/latest/meta-data"}
    with db.write() as s:
        service.send_test(s, SYSTEM, endpoint_id)
    work(db)
    redirected = _deliveries(db)[-1]
    assert (
        redirected.state == "dead"
        and redirected.status_code == 302
        and "redirects are not followed" in redirected.error
    )
    assert len(receiver.requests) == 2

    settings.webhook_timeout_seconds, receiver.delay, receiver.headers = 0.3, 1.0, {}
    with db.write() as s:
        service.send_test(s, SYSTEM, endpoint_id)
    work(db)
    slow = _deliveries(db)[-1]
    assert slow.state == "dead" and "timed out after 0.3 s (RAPPORT_WEBHOOK_TIMEOUT_SECONDS)" in slow.error


def test_a_delivery_to_an_endpoint_switched_off_meanwhile_is_not_sent(client, world, db, started, receiver):
    endpoint_id, _ = make_endpoint(db, receiver.url, event_types=["message.received"])
    inbound(client, world.agent_token, world.email_inbox.id)
    from rapport.events import consumers

    consumers.run_consumers(db)  # queued while the endpoint was on
    with db.write() as s:
        service.update_endpoint(s, SYSTEM, endpoint_id, active=False)
    work(db)
    assert receiver.requests == []
    [delivery] = _deliveries(db)
    assert delivery.state == "dead" and "switched off" in delivery.error and delivery.attempts == 0


def test_the_inbound_path_does_not_touch_webhook_tables(client, world, db, engine, started, receiver):
    make_endpoint(db, receiver.url)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.lower())

    sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        inbound(client, world.agent_token, world.email_inbox.id, text="no webhooks on my path")
    finally:
        sa_event.remove(engine, "before_cursor_execute", seen)
    assert any("insert into messages" in s for s in statements)  # the listener saw the inbound write
    assert not [s for s in statements if "webhook" in s]
    assert _deliveries(db) == []  # until the worker's consumer takes the events


def test_old_finished_deliveries_are_forgotten(client, world, db, started, receiver, frozen_clock, settings):
    settings.webhook_log_days = 2
    make_endpoint(db, receiver.url, event_types=["message.received"])
    inbound(client, world.agent_token, world.email_inbox.id)
    work(db)
    assert len(_deliveries(db)) == 1
    frozen_clock[0] += timedelta(days=1, hours=1)  # the daily prune runs: the delivery is a day old, kept
    work(db)
    assert len(_deliveries(db)) == 1
    frozen_clock[0] += timedelta(days=2)
    inbound(client, world.agent_token, world.email_inbox.id, text="again")
    work(db)  # delivers the second and queues the next day's prune
    assert len(_deliveries(db)) == 2
    frozen_clock[0] += timedelta(days=1)
    work(db)  # the first is now past the two days; the second is a day old
    [kept] = _deliveries(db)
    assert kept.created_at == frozen_clock[0] - timedelta(days=1)


def test_https_is_sent_to_the_checked_address_with_the_name_in_sni_and_the_certificate(tmp_path, monkeypatch):
    openssl = shutil.which("openssl")
    assert openssl, "this test needs openssl (apt-get install openssl; .ci/run installs it)"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key), "-out", str(cert)]
        + ["-subj", "/CN=hooks.example", "-addext", "subjectAltName=DNS:hooks.example"],
        check=True,
        capture_output=True,
    )
    seen: list[str] = []
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server_tls.sni_callback = lambda sock, name, ctx: seen.append(f"sni:{name}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's hook name)
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(f"host:{self.headers['Host']}")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, p, *a, **k: real("127.0.0.1", p, *a, **k) if host.endswith(".example") else real(host, p, *a, **k),
    )
    # The receiver's certificate is trusted as a CA would be: only its name is on trial.
    client = httpx2.Client
    monkeypatch.setattr(
        httpx2, "Client", lambda *a, **k: client(*a, **{**k, "verify": ssl.create_default_context(cafile=cert)})
    )

    def attempt(host: str) -> send.Outcome:
        url = f"https://{host}:{port}/hooks"
        request = send.Request(url, b"{}", "whsec_x", "webhook.test", 1, 0, allow_private=True, timeout=5, max_bytes=64)
        return send.post(request)

    try:
        ok = attempt("hooks.example")
        wrong = attempt("other.example")  # the same address, another name: the certificate does not match it
    finally:
        server.shutdown()
        server.server_close()
    assert ok.delivered and ok.status_code == 204
    assert seen[:2] == ["sni:hooks.example", f"host:hooks.example:{port}"]
    assert not wrong.delivered and "certificate" in wrong.error.lower()
