"""One delivery attempt over HTTP: sign the body, connect to the checked address, read a capped answer.

No database here: the caller reads what to send before and records the outcome after, in short transactions.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from dataclasses import dataclass

import httpx2

from rapport import __version__
from rapport.webhooks import guard

USER_AGENT = f"Rapport-Webhooks/{__version__}"
SIGNATURE_HEADER = "Rapport-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: delivered (a 2xx answer) or the reason it was not."""

    delivered: bool
    status_code: int | None
    error: str | None
    snippet: str
    duration_ms: int


@dataclass(frozen=True)
class Request:
    """What to send, to where, and under which limits."""

    url: str
    body: bytes
    secret: str
    event_type: str
    delivery_id: int
    timestamp: int
    allow_private: bool
    timeout: float
    max_bytes: int


def headers(req: Request) -> dict[str, str]:
    """The headers of a delivery: content type, signature, event type, delivery id (stable across retries)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",  # the answer is read raw and capped: no decompressing what a receiver sends
        SIGNATURE_HEADER: sign(req.secret, req.timestamp, req.body),
        "Rapport-Event": req.event_type,
        "Rapport-Delivery": str(req.delivery_id),
    }


def post(req: Request) -> Outcome:
    """Check the target again (DNS may have changed), POST to the checked address, and read at most max_bytes back."""
    started = time.monotonic()

    def done(status: int | None, error: str | None, snippet: str = "") -> Outcome:
        delivered = error is None and status is not None and 200 <= status < 300
        return Outcome(delivered, status, error, snippet, int((time.monotonic() - started) * 1000))

    try:
        target = guard.check(req.url, allow_private=req.allow_private)
    except guard.Refused as refused:
        return done(None, f"Not sent: {refused.detail}")
    extensions = {"sni_hostname": target.hostname} if target.url.scheme == "https" else {}
    timeout = f"timed out after {req.timeout:g} s (RAPPORT_WEBHOOK_TIMEOUT_SECONDS)"
    # trust_env=False: a proxy from the environment would connect on its own terms, past the guard.
    with httpx2.Client(timeout=req.timeout, follow_redirects=False, trust_env=False) as client:
        try:
            with client.stream(
                "POST",
                target.pinned_url,
                content=req.body,
                headers={**headers(req), "Host": target.host_header},
                extensions=extensions,
            ) as response:
                peer = _peer(response)
                if peer is not None and peer != target.address:
                    return done(None, f"Not sent: connected to {peer}, not the checked address {target.address}.")
                snippet, late = _read(response, req.max_bytes, deadline=started + req.timeout)
                status = response.status_code
        except httpx2.TimeoutException:
            return done(None, f"The receiver {timeout}.")
        except httpx2.HTTPError as exc:
            return done(None, f"Could not reach the receiver: {type(exc).__name__}: {exc}"[:300])
    if late:
        return done(status, f"The receiver answered HTTP {status} but {timeout} while sending the body.", snippet)
    if 200 <= status < 300:
        return done(status, None, snippet)
    if 300 <= status < 400:
        return done(status, f"The receiver answered HTTP {status}, a redirect; redirects are not followed.", snippet)
    return done(status, f"The receiver answered HTTP {status}.", snippet)


def _read(response: httpx2.Response, max_bytes: int, *, deadline: float) -> tuple[str, bool]:
    """Up to max_bytes of the answer as text, and whether the whole attempt ran past its deadline while reading."""
    chunks, size = [], 0
    for chunk in response.iter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            return _text(chunks, max_bytes), True  # a receiver trickling bytes does not hold the worker
        if size >= max_bytes:
            break  # the rest is not read: what a receiver says is kept only as a hint
    return _text(chunks, max_bytes), False


def _text(chunks: list[bytes], max_bytes: int) -> str:
    return b"".join(chunks)[:max_bytes].decode("utf-8", errors="replace")


def _peer(response: httpx2.Response):
    """The address the connection reached, when the transport tells."""
    stream = response.extensions.get("network_stream")
    info = stream.get_extra_info("server_addr") if stream is not None else None
    if not info:
        return None
    try:
        return ipaddress.ip_address(str(info[0]).split("%", 1)[0])
    except ValueError:
        return None
