"""Fixtures of the security tests: DNS answered as an attacker's would be, and a loopback port that records who
connects (so a test can show a refused target was never reached)."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.rules.conftest import work  # noqa: F401  (the worker pass the rules' security tests use)


@pytest.fixture
def dns(monkeypatch):
    """A resolver answering made-up names as an attacker's DNS would (each name: a list of answers, in turn)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def listener():
    """A loopback TCP port that records every connection it accepts (and closes it)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list = []
    stop = threading.Event()

    def run():
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(peer)
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=5)
    server.close()
