"""Forgotten passwords: an agent asks for a link by email, opens it once, chooses a new password.

The link is built like an admin's sign-in link, for its own purpose (agents/links.py: nothing stored, it works
once), and lapses after RAPPORT_PASSWORD_RESET_MINUTES. Asking answers the same whether or not the address
has an account, and spends the mail limits (per normalised address and per client) either way, so neither the
answer nor a refusal tells who has an account. Choosing the password ends every session of the agent.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.agents import auth, links, repository, service
from rapport.config import get_settings
from rapport.kit import ratelimit
from rapport.kit.problems import Invalid
from rapport.mail.mailer import send_system_mail
from rapport.models import Agent, AgentSession

SENT = (
    "If {email} is the address of an agent's account, a link to choose a new password is on its way. "
    "It works once, for {minutes} minutes."
)
INVALID = (
    "This password link is not valid any more: it was used, it expired (a link works for {minutes} minutes, "
    "RAPPORT_PASSWORD_RESET_MINUTES), or it was mistyped. Ask for a new one."
)


def make_link(agent: Agent) -> str:
    """The password link for `agent`, valid RAPPORT_PASSWORD_RESET_MINUTES from now."""
    minutes = get_settings().password_reset_minutes
    return links.make("agent-reset", "/reset-password", agent, timedelta(minutes=minutes))


def request(session: Session, email: str, *, client: str) -> str:
    """Mail a password link to an active agent with this address; the same answer (a sentence) for any address.

    TooManyRequests (429, naming the setting) past the mail limits, for known and unknown addresses alike.
    """
    email = email.strip().lower()[:320]
    if "@" not in email:
        raise Invalid("Type the email address you sign in with.", errors=[{"field": "email"}])
    allowance = ratelimit.limit_mail(session, to=email, client=client)
    minutes = get_settings().password_reset_minutes
    agent = repository.by_email(session, email)
    if agent is not None and agent.active:
        send_system_mail(
            session,
            allowance=allowance,
            to=agent.email,
            subject="Choose a new password for Rapport",
            text=(
                f"Someone (we hope you) asked to choose a new password for {agent.email} in Rapport, the help desk.\n\n"
                f"Choose it here (the link works once, for {minutes} minutes; every other session then ends):\n"
                f"{make_link(agent)}\n\n"
                "If you did not ask, ignore this mail: your password stays as it is."
            ),
        )
    return SENT.format(email=email, minutes=minutes)


def agent_for(session: Session, token: str) -> Agent:
    """The active agent a password link is for; Invalid when it was used, expired or is not ours."""
    return links.agent_for(session, "agent-reset", token, _invalid())


def _invalid() -> Invalid:
    return Invalid(INVALID.format(minutes=get_settings().password_reset_minutes))


def accept(session: Session, token: str, password: str) -> tuple[AgentSession, str]:
    """Set the new password (every session of the agent ends, the link is spent) and open a browser session."""
    agent = agent_for(session, token)
    service.set_password_by_link(session, agent, password)
    return auth.sign_in(session, agent.email, password)
