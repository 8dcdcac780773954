"""The customer portal's decisions: requests from the web form, sign-in links, customer sessions, replies.

A customer is who their emailed link proves them to be: links go only to verified email identities, are
stored as SHA-256, expire and work once. Every page shows a customer only their own conversations.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.channels.portal import repository
from rapport.config import get_settings
from rapport.conversations.attachments import IncomingFile
from rapport.conversations.inbound import Inbound, Received, receive_inbound
from rapport.conversations.lifecycle import merges
from rapport.customers.identities import normalise
from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM
from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, NotFound, Problem
from rapport.kit.secrets import token_hash
from rapport.mail import mailer
from rapport.models import Conversation, Message, PortalLink, PortalSession
from rapport.models.enums import Channel

MAX_LISTED = 100
MAX_SHOWN = 500


class Unavailable(Problem):
    """The portal cannot take requests until an admin creates a portal inbox."""

    status, title, slug = 503, "Not available", "unavailable"


@dataclass
class Request:
    """A request as typed into the web form."""

    name: str
    email: str
    subject: str
    message: str
    file: IncomingFile | None = None


@dataclass
class LinkState:
    """What a sign-in link is now: `valid`, `used`, `expired` or `unknown`."""

    state: str
    email: str = ""


@dataclass
class CustomerSession:
    """A signed-in customer: the cookie value (only at sign-in), the CSRF token, the customer."""

    customer_id: int
    csrf_token: str
    session_id: int
    cookie: str = ""


def submit_request(session: Session, request: Request, *, ip: str) -> Received:
    """Turn a web form submission into a conversation in the portal inbox."""
    address = normalise("email", request.email)
    errors = [
        {"field": f, "message": m}
        for f, ok, m in (
            ("name", 0 < len(request.name.strip()) <= 200, "Enter your name (up to 200 characters)."),
            ("subject", 0 < len(request.subject.strip()) <= 200, "Enter a subject (up to 200 characters)."),
            ("message", bool(request.message.strip()), "Enter your message."),
        )
        if not ok
    ]
    if errors:
        raise Invalid(" ".join(e["message"] for e in errors), errors=errors)
    inbox = repository.portal_inbox(session)
    if inbox is None:
        raise Unavailable("The portal is not set up yet: an admin needs to create an inbox with the 'portal' channel.")
    before = repository.email_identity(session, address)
    # Every limit is spent before anything is stored, so a refused request is not half kept.
    limits = portal_keys("request", ip=ip, email=address)
    receipt = None
    if before is None or before.verified:
        receipt = ratelimit.limit_mail(session, to=address, client=ip, also=limits)
    else:
        ratelimit.spend(session, *limits)
    msg = Inbound(
        inbox_id=inbox.id,
        sender_kind="email",
        sender_address=address,
        sender_name=request.name.strip(),
        subject=request.subject.strip(),
        text=request.message,
        channel=Channel.portal.value,
        files=[request.file] if request.file else [],
    )
    received = receive_inbound(session, SYSTEM, msg)
    # A receipt with a link to follow the request: for a new address the link also proves it is theirs. An
    # unverified address someone else attached to a customer gets none (it may not be that customer's).
    if receipt is not None:
        _mail_link(
            session,
            receipt,
            received.customer_id,
            address,
            verifies=before is None,
            subject=f"We received your request #{received.conversation_id}",
            intro=f"Thank you, we received your request #{received.conversation_id}. "
            "You can follow it and read our answers here:",
            lifetime=timedelta(hours=get_settings().portal_receipt_link_hours),
        )
    return received


def request_link(session: Session, email: str, *, ip: str) -> None:
    """Email a sign-in link when a customer has this verified address; silently nothing otherwise."""
    address = normalise("email", email)
    # Counted whether or not a mail goes, so neither the answer nor the limit tells who has an account.
    allowance = ratelimit.limit_mail(session, to=address, client=ip, also=portal_keys("link", ip=ip, email=address))
    customer_id = repository.verified_email_owner(session, address)
    if customer_id is None:
        return  # the page reads the same either way, so it tells nobody who has an account
    _mail_link(
        session,
        allowance,
        customer_id,
        address,
        verifies=False,
        subject="Your sign-in link",
        intro="Someone (we hope you) asked to sign in to your support conversations. Open this link to sign in:",
        lifetime=timedelta(minutes=get_settings().portal_link_minutes),
    )


def _mail_link(
    session: Session,
    allowance: ratelimit.MailAllowance,
    customer_id: int,
    address: str,
    *,
    verifies: bool,
    subject: str,
    intro: str,
    lifetime: timedelta,
) -> None:
    token = secrets.token_urlsafe(32)
    stamp = now()
    link = PortalLink(
        customer_id=customer_id,
        email=address,
        verifies=verifies,
        token_hash=token_hash(token),
        expires_at=stamp + lifetime,
        created_at=stamp,
    )
    session.add(link)
    session.flush()
    url = f"{get_settings().base_url.rstrip('/')}/portal/sign-in/{token}"
    minutes = int(lifetime.total_seconds() // 60)
    expiry = f"{minutes // 60} hours" if minutes % 60 == 0 and minutes >= 120 else f"{minutes} minutes"
    text = (
        f"Hello,\n\n{intro}\n{url}\n\n"
        f"The link works once and expires in {expiry}. If you did not ask for it, you can ignore this mail.\n"
    )
    mailer.send_system_mail(
        session, to=address, subject=subject, text=text, allowance=allowance, key=f"portal-link:{link.id}"
    )


def link_state(session: Session, token: str) -> LinkState:
    """Whether a link can still sign someone in (read only: opening a link changes nothing)."""
    link = repository.link_by_hash(session, token_hash(token))
    if link is None:
        return LinkState("unknown")
    if link.used_at is not None:
        return LinkState("used", link.email)
    if now() >= link.expires_at:
        return LinkState("expired", link.email)
    return LinkState("valid", link.email)


def use_link(session: Session, token: str) -> CustomerSession:
    """Spend a valid link and start a customer session; Invalid (with the link's state) otherwise."""
    link = repository.link_by_hash(session, token_hash(token), lock=True)
    state = link_state(session, token).state
    if link is None or state != "valid":
        raise Invalid(f"This sign-in link is {state if state != 'unknown' else 'not valid'}.", state=state)
    if link.verifies:
        _verify(session, link)
    owner = repository.verified_email_owner(session, link.email)
    if owner is None or repository.surviving_customer(session, owner) != repository.surviving_customer(
        session, link.customer_id
    ):
        raise Invalid("This sign-in link is no longer valid: the address is not verified any more.", state="unknown")
    link.used_at = now()
    customer_id = repository.surviving_customer(session, link.customer_id)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = PortalSession(
        customer_id=customer_id,
        token_hash=token_hash(cookie),
        csrf_token=csrf,
        expires_at=now() + timedelta(hours=get_settings().portal_session_hours),
        created_at=now(),
    )
    session.add(row)
    session.flush()
    record(session, "customer.signed_in", SYSTEM, customer_id=customer_id, via="portal_link")
    return CustomerSession(customer_id=customer_id, csrf_token=csrf, session_id=row.id, cookie=cookie)


def _verify(session: Session, link: PortalLink) -> None:
    """The link reached the address, so whoever opened it owns it: mark the identity verified."""
    ident = repository.email_identity(session, link.email)
    if ident is None or ident.verified:
        return
    if repository.surviving_customer(session, ident.customer_id) != repository.surviving_customer(
        session, link.customer_id
    ):
        return  # the address moved to another customer since: this link proves nothing about them
    ident.verified = True
    session.flush()  # sessions do not autoflush: the owner check that follows must see it
    record(session, "identity.verified", SYSTEM, customer_id=ident.customer_id, identity_id=ident.id, via="portal_link")


def current(session: Session, cookie: str | None) -> CustomerSession | None:
    """The signed-in customer behind a session cookie, or None."""
    if not cookie:
        return None
    row = repository.session_by_hash(session, token_hash(cookie), now())
    if row is None:
        return None
    return CustomerSession(repository.surviving_customer(session, row.customer_id), row.csrf_token, row.id)


def sign_out(session: Session, who: CustomerSession) -> None:
    """End the customer's session."""
    repository.end_session(session, who.session_id)
    record(session, "customer.signed_out", SYSTEM, customer_id=who.customer_id)


def conversations(session: Session, who: CustomerSession) -> list[Conversation]:
    """The signed-in customer's conversations."""
    return repository.conversations_of(session, who.customer_id, limit=MAX_LISTED)


def conversation(session: Session, who: CustomerSession, conversation_id: int) -> tuple[Conversation, list[Message]]:
    """One of the customer's own conversations and the messages they may read; NotFound for anyone else's."""
    conv = session.get(Conversation, merges.survivor(session, conversation_id))
    if conv is None or conv.customer_id != who.customer_id:
        raise NotFound(f"There is no conversation {conversation_id}.")
    return conv, repository.visible_messages(session, conv.id, who.customer_id, limit=MAX_SHOWN)


def reply(session: Session, who: CustomerSession, conversation_id: int, text: str) -> Received:
    """The customer's reply in the portal: an inbound message on the portal channel in that conversation."""
    conv, _ = conversation(session, who, conversation_id)
    if not text.strip():
        raise Invalid("Enter your message.", errors=[{"field": "message", "message": "Enter your message."}])
    address = repository.verified_email_of(session, who.customer_id)
    if address is None:
        raise Invalid("Your email address is no longer verified; sign in again.")
    msg = Inbound(
        inbox_id=conv.inbox_id,
        sender_kind="email",
        sender_address=address,
        text=text,
        conversation_id=conv.id,
        channel=Channel.portal.value,
    )
    return receive_inbound(session, SYSTEM, msg)


def portal_keys(action: str, *, ip: str, email: str) -> tuple[ratelimit.Key, ratelimit.Key]:
    """The budgets of RAPPORT_PORTAL_REQUESTS_PER_HOUR for `action`: per client and per normalised email address."""
    limit = get_settings().portal_requests_per_hour
    setting = "RAPPORT_PORTAL_REQUESTS_PER_HOUR"
    words = "requests" if action == "request" else "sign-in link requests"
    return (
        ratelimit.Key(f"portal-{action}:ip", ip or "unknown", limit, setting, f"{words} from your address"),
        ratelimit.Key(f"portal-{action}:email", ratelimit.mail_target(email), limit, setting, f"{words} for {email}"),
    )
