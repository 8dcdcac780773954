"""Channel benchmarks: email from a real IMAP server, SMS and WhatsApp webhooks, chat delivery to an agent page.

Each figure is measured beside a floor taken in the same run: reading the same mails over IMAP without storing
them (email), and the bare hello-world endpoint served the same way (webhooks, chat). Called by run.py with
--channels, or on its own: `.venv/bin/python bench/channels.py --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

import dataset
import server

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # the email benchmark drives the test suite's Dovecot starter

from rapport.agents import service as agents  # noqa: E402
from rapport.config import use_settings  # noqa: E402
from rapport.inboxes import service as inboxes  # noqa: E402
from rapport.kernel.permissions import SYSTEM  # noqa: E402
from rapport.models import Agent  # noqa: E402
from rapport.models.enums import Role  # noqa: E402

TWILIO_SID, TWILIO_TOKEN, SMS_NUMBER = "AC" + "b" * 32, "bench-twilio-token", "+15005550006"
WA_SECRET, WA_PHONE_ID = "bench-app-secret", "109876543210"
CHAT_KEY = "pk_bench_" + "c" * 16
TRACE: list = []


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


# -- email ----------------------------------------------------------------------------------------------------


def measure_email(backend: str, *, mails: int = 2000, senders: int = 500) -> dict:
    """Append `mails` to a real Dovecot, then fetch them all into a fresh database; also time a bare IMAP read."""
    from tests.channels.email.dovecot import Dovecot
    from tests.channels.email.mails import mail

    from rapport.channels.email import fetch_once

    target = dataset.fresh_database(backend, BENCH / "data" / f"email-{backend}")
    settings = target["settings"]
    settings.email_max_per_sender_per_hour = 0  # one sender writes many mails here; the limit is for mail bombs
    use_settings(settings)
    raw = [
        mail(
            frm=f"Customer {i % senders} <c{i % senders}@example.net>",
            subject=f"Order {i}",
            text=f"Hello, where is my order {i}? " * 8,
        )
        for i in range(mails)
    ]
    imap = Dovecot()
    imap.add_user("bench", "secret")
    with imap:
        imap.append("bench", "secret", raw)
        floor = _bare_imap_read(imap)
        with target["db"].write() as s:
            inbox = inboxes.create(
                s,
                SYSTEM,
                name="Bench mail",
                channel="email",
                address="help@example.com",
                settings={"imap": imap.imap_settings("bench", "secret")},
            )
        started = time.perf_counter()
        stats = fetch_once(target["db"], inbox.id)
        seconds = time.perf_counter() - started
    target["db"].engine.dispose()
    stored = stats.message
    return {
        "mails": mails,
        "stored": stored,
        "seconds": round(seconds, 2),
        "rate": round(stored / seconds),
        "floor_rate": round(mails / floor),
        "quarantined": stats.quarantined,
    }


def _bare_imap_read(imap) -> float:
    """Seconds to read every mail over IMAP in batches of 200, storing nothing: the floor."""
    started = time.perf_counter()
    conn = imap.connect("bench", "secret")
    conn.select("INBOX", readonly=True)
    _, data = conn.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    for i in range(0, len(uids), 200):
        conn.uid("FETCH", b",".join(uids[i : i + 200]), "(BODY.PEEK[])")
    conn.logout()
    return time.perf_counter() - started


# -- webhooks -------------------------------------------------------------------------------------------------


def webhook_requests(target: dict, base_url: str, count: int) -> dict[str, Path]:
    """Files of pre-signed, distinct webhook requests for an SMS and a WhatsApp inbox (one line each)."""
    with target["db"].write() as s:
        sms = inboxes.create(
            s,
            SYSTEM,
            name="Bench SMS",
            channel="sms",
            address=SMS_NUMBER,
            settings={"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "phone_number": SMS_NUMBER},
        )
        inboxes.create(
            s,
            SYSTEM,
            name="Bench WhatsApp",
            channel="whatsapp",
            address="+15550001111",
            settings={
                "phone_number_id": WA_PHONE_ID,
                "access_token": "bench-token",
                "app_secret": WA_SECRET,
                "verify_token": "bench-verify",
            },
        )
    validator = RequestValidator(TWILIO_TOKEN)
    sms_path = f"/channels/twilio/sms/{sms.id}/inbound"
    lines_sms, lines_wa = [], []
    run = secrets.token_hex(4)
    for i in range(count):
        params = {
            "MessageSid": "SM" + hashlib.md5(f"{run}-{i}".encode()).hexdigest(),  # noqa: S324 (an id, not security)
            "AccountSid": TWILIO_SID,
            "From": f"+1415555{i % 5000:04d}",
            "To": SMS_NUMBER,
            "Body": f"Where is my order {i}?",
            "NumMedia": "0",
        }
        signature = validator.compute_signature(base_url + sms_path, params)
        lines_sms.append(
            "\t".join(
                [sms_path, "X-Twilio-Signature", signature, "application/x-www-form-urlencoded", urlencode(params)]
            )
        )
        body = json.dumps(_wa_payload(f"wamid.{run}.{i}", f"4477009{i % 5000:05d}", f"Hello {i}")).encode()
        sig = "sha256=" + hmac.new(WA_SECRET.encode(), body, hashlib.sha256).hexdigest()
        lines_wa.append(
            "\t".join(["/channels/whatsapp/webhook", "X-Hub-Signature-256", sig, "application/json", body.decode()])
        )
    out = {}
    for name, lines in (("sms", lines_sms), ("whatsapp", lines_wa)):
        path = BENCH / "results" / f".webhooks-{name}"
        path.write_text("\n".join(lines) + "\n")
        out[name] = path
    return out


def _wa_payload(wamid: str, sender: str, text: str) -> dict:
    message = {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": WA_PHONE_ID},
        "contacts": [{"profile": {"name": "Bench Customer"}, "wa_id": sender}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


# -- chat -----------------------------------------------------------------------------------------------------


def chat_fixture(target: dict) -> dict:
    """A chat inbox with a public key, an agent online, and the agent's token for the live stream."""
    with target["db"].write() as s:
        inbox = inboxes.create(
            s, SYSTEM, name="Bench chat", channel="chat", settings={"public_key": CHAT_KEY, "allowed_origins": ["*"]}
        )
        agent = agents.create_agent(s, SYSTEM, name="Chat Bench", email="chat-bench@rapport.example", role=Role.agent)
        s.get(Agent, agent.id).availability = "online"
        _, token = agents.create_token(s, SYSTEM, name="chat-bench", scopes=["read"], agent_id=agent.id)
    return {"inbox_id": inbox.id, "token": token}


async def drive_chat(url: str, fixture: dict, *, visitors: int, every: float, seconds: float) -> dict:
    """`visitors` each send a message every `every` s for `seconds`; latency is send to the agent page's frame."""
    import httpx2

    limits = httpx2.Limits(max_connections=visitors + 10, max_keepalive_connections=visitors + 10)
    async with httpx2.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        tokens = []
        for _ in range(visitors):
            r = await client.post(f"/chat/api/{CHAT_KEY}/visitors", json={})
            r.raise_for_status()
            tokens.append(r.json()["token"])
        latencies: list[float] = []
        sent = [0]
        ready = asyncio.Event()
        stop = time.monotonic() + seconds + 5
        agent = asyncio.create_task(_agent_page(client, fixture, latencies, ready, stop))
        await asyncio.wait_for(ready.wait(), 10)
        end = time.monotonic() + seconds
        await asyncio.gather(*(_visitor(client, t, i, every, end, sent) for i, t in enumerate(tokens)))
        await asyncio.sleep(2)  # the last frames
        agent.cancel()
    return {
        "visitors": visitors,
        "sent": sent[0],
        "delivered": len(latencies),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=0) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
    }


async def _visitor(client, token: str, index: int, every: float, end: float, sent: list) -> None:
    await asyncio.sleep(every * index / 500 % every)  # spread the visitors over the interval
    headers = {"X-Rapport-Visitor": token}
    while time.monotonic() < end:
        r = await client.post(f"/chat/api/{CHAT_KEY}/messages", json={"text": f"t={time.time():.6f}"}, headers=headers)
        r.raise_for_status()
        sent[0] += 1
        await asyncio.sleep(every)


async def _agent_page(client, fixture: dict, latencies: list, ready: asyncio.Event, stop: float) -> None:
    headers = {"Authorization": f"Bearer {fixture['token']}"}
    params = {"topic": f"inbox:{fixture['inbox_id']}"}
    async with client.stream("GET", "/api/v1/live", params=params, headers=headers, timeout=None) as r:
        event = None
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
                if event == "ready":
                    ready.set()
            elif line.startswith("data: ") and event == "message.received":
                text = (json.loads(line[6:]).get("message") or {}).get("text") or ""
                if text.startswith("t="):
                    sent_at = float(text[2:])
                    latencies.append(time.time() - sent_at)
                    TRACE.append((sent_at, latencies[-1]))
            if time.monotonic() > stop:
                return


def measure_chat(target: dict, port: int, *, visitors: int, every: float, seconds: float) -> dict:
    """Serve with 2 workers and Redis fan-out, and drive the chat load against it."""
    fixture = chat_fixture(target)
    extra = {"RAPPORT_REDIS_URL": "redis://127.0.0.1:6379/0", "RAPPORT_REDIS_CHANNEL": f"bench:{secrets.token_hex(4)}"}
    with server.rapport(target, port, workers=2, env=extra) as (url, _pids):
        return asyncio.run(drive_chat(url, fixture, visitors=visitors, every=every, seconds=seconds))


def measure_channels(backend: str, args, data_file: Path, port: int, wrk) -> dict:
    """Every channel figure for one backend, on a fresh database holding the small data set."""
    out = {"email": measure_email(backend, mails=args.mails)}
    out["email_rate"], out["email_floor_rate"] = out["email"]["rate"], out["email"]["floor_rate"]
    target = dataset.fresh_database(backend, BENCH / "data" / f"channels-{backend}")
    dataset.import_file(target, data_file)
    dataset.analyse(target)
    base = f"http://127.0.0.1:{port}"
    count = args.seconds * 5000  # more distinct requests than the server can take in the run
    files = webhook_requests(target, base, count)
    with server.rapport(target, port, workers=2) as (url, _pids):
        for name, path in files.items():
            result = wrk(
                url,
                "webhooks.lua",
                connections=32,
                threads=2,
                seconds=args.seconds,
                env={"WRK_REQUESTS": str(path), "WRK_THREADS": "2"},
            )
            out[f"{name}_webhook_rate"] = round(result["rate"])
            out[f"{name}_webhook_p99"] = round(result["latency_us"]["p99"] / 1000, 1)
    out["chat"] = measure_chat(target, port, visitors=args.visitors, every=5, seconds=args.chat_seconds)
    out["chat_p99"] = out["chat"]["p99_ms"]
    target["db"].engine.dispose()
    return out


def main() -> None:
    """Run the email and chat benchmarks on their own (the webhooks need wrk: see run.py --suite channels)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        print(backend, "email", measure_email(backend, mails=args.mails), flush=True)
        target = dataset.fresh_database(backend, BENCH / "data" / f"chat-{backend}")
        print(backend, "chat", measure_chat(target, 8790, visitors=args.visitors, every=5, seconds=args.seconds))


if __name__ == "__main__":
    main()
