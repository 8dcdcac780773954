"""Portal fixtures: a portal inbox, customers with verified email, a real SMTP server, signing in by link."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.customers import service as customers
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.worker.runner import run_due

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"(http://\S+/portal/sign-in/\S+)")


@pytest.fixture
def portal_inbox(db, world):
    """The portal inbox."""
    with db.write() as s:
        return inboxes.create(s, SYSTEM, name="Portal", channel="portal")


def make_customer(db, inbox_id: int, email: str, *, verified: bool = True, text: str = "My first question") -> dict:
    """A customer with an email identity (verified or not) and one conversation in the inbox."""
    with db.write() as s:
        customer = customers.create(s, SYSTEM, identities=[], name=email.split("@")[0])
        customers.add_identity(s, SYSTEM, customer.id, "email", email, verified=verified)
        got = receive_inbound(
            s,
            SYSTEM,
            Inbound(inbox_id=inbox_id, sender_kind="email", sender_address=email, subject="Help", text=text),
        )
    return {"customer_id": customer.id, "conversation_id": got.conversation_id, "email": email}


def csrf(page_html: str) -> str:
    """The hidden CSRF token of the first form on a page."""
    match = CSRF.search(page_html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def request_link(client: TestClient, email: str):
    """Ask for a sign-in link through the page, as a browser does."""
    token = csrf(client.get("/portal/sign-in").text)
    return client.post("/portal/sign-in", data={"csrf_token": token, "email": email})


def mailed_link(db, smtp) -> str:
    """Run the worker (sending queued mail to the SMTP server) and return the link in the latest mail holding one.

    Other mail may be sent in the same run (a survey after a solve) and in either order: the jobs are claimed
    together, so the sign-in mail is looked for rather than assumed to be the last."""
    run_due(db)
    assert smtp.messages, "no mail reached the SMTP server"
    bodies = [m.get_payload(decode=True).decode() for m in reversed(smtp.messages)]
    match = next((found for body in bodies if (found := LINK.search(body))), None)
    assert match, bodies
    return match.group(1).replace("http://127.0.0.1:8000", "")


def sign_in(client: TestClient, db, smtp, email: str) -> TestClient:
    """Sign `client` in as the customer with this verified email, through the mailed link."""
    assert request_link(client, email).status_code == 200
    path = mailed_link(db, smtp)
    page = client.get(path)
    assert page.status_code == 200, page.text
    r = client.post(path, data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client
