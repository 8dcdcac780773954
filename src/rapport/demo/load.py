"""Loading the demo once, its known sign-in, its user's presence, and where its mail goes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from rapport.agents import service as agents
from rapport.config import Settings
from rapport.db.session import Database
from rapport.demo.org import DEMO_EMAIL
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Conversation, Identity, Inbox, Message

DEMO_PASSWORD = "rapport-demo"  # printed by `rapport demo`; a demo data directory is not for real customers


def is_loaded(db: Database, conversations: int) -> bool:
    """True when a demo of this many conversations was loaded to the end (its last conversation exists)."""
    last = f"demo-{conversations:07d}" if conversations else None
    with db.read() as session:
        has_agent = session.scalar(select(Agent.id).where(Agent.email == DEMO_EMAIL)) is not None
        return has_agent and (
            last is None or session.scalar(select(Conversation.id).where(Conversation.source_ref == last)) is not None
        )


def ensure_login(db: Database) -> None:
    """Give the demo admin the printed password (again: it may have been changed while trying things out)."""
    with db.write() as session:
        agent_id = session.scalar(select(Agent.id).where(Agent.email == DEMO_EMAIL))
        if agent_id is not None:
            agents.update_agent(session, SYSTEM, agent_id, password=DEMO_PASSWORD, active=True)


def online(db: Database) -> None:
    """The demo's own user starts online, so customers are not told that no one is available while they answer."""
    with db.write() as session:
        agent_id = session.scalar(select(Agent.id).where(Agent.email == DEMO_EMAIL))
        if agent_id is not None:
            agents.update_agent(session, SYSTEM, agent_id, availability="online")


def send_mail_to(db: Database, settings: Settings, *, host: str, port: int) -> None:
    """Point the system mail (RAPPORT_SMTP_*) and every email inbox's SMTP settings at the mail catcher."""
    settings.smtp_host, settings.smtp_port, settings.smtp_starttls, settings.smtp_user = host, port, False, None
    settings.demo_mail_catcher = True
    smtp = {"host": host, "port": port, "security": "plain", "allow_private": True}  # the catcher is on loopback
    with db.write() as session:
        for inbox in session.scalars(select(Inbox).where(Inbox.channel == "email")):
            current = dict(inbox.settings or {})
            if current.get("smtp") != smtp:
                inboxes.update(session, SYSTEM, inbox.id, settings={**current, "smtp": smtp})


def verify_customer_emails(db: Database) -> str | None:
    """Mark the demo customers' email addresses verified (a portal sign-in link goes only to a verified address);
    returns one of them to try the portal with."""
    with db.write() as session:
        session.execute(
            update(Identity).where(Identity.kind == "email", Identity.verified.is_(False)).values(verified=True)
        )
        return session.scalar(select(Identity.address).where(Identity.kind == "email").order_by(Identity.id).limit(1))


def last_activity(db: Database) -> datetime | None:
    """When the demo's latest message was written (its dates were relative to the day it was loaded)."""
    with db.read() as session:
        latest = session.scalar(select(func.max(Message.created_at)))
    return latest.replace(tzinfo=UTC) if latest is not None and latest.tzinfo is None else latest
