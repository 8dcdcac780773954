"""Sign-in links an admin sends an agent: open it once, choose a password, and be signed in.

The link is built by agents/links.py (nothing stored; it works once); changing the email or sending nothing more
lets it lapse after RAPPORT_AGENT_INVITE_HOURS.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.agents import auth, links, repository, service
from rapport.config import get_settings
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import ratelimit
from rapport.kit.problems import Invalid
from rapport.mail.mailer import send_system_mail
from rapport.models import Agent, AgentSession

INVALID = (
    "This sign-in link is not valid any more: it was used, it expired (a link works for {hours} hours, "
    "RAPPORT_AGENT_INVITE_HOURS), or it was mistyped. Ask an admin for a new one."
)


def make_link(agent: Agent) -> str:
    """The sign-in link for `agent`, valid RAPPORT_AGENT_INVITE_HOURS from now."""
    return links.make("agent-invite", "/welcome", agent, timedelta(hours=get_settings().agent_invite_hours))


def send(session: Session, actor: Actor, agent_id: int) -> Agent:
    """Mail an active agent a link to choose a password and sign in (admins)."""
    authorize(actor, "admin")
    agent = repository.get(session, agent_id)
    if not agent.active:
        raise Invalid(f"{agent.name} is deactivated; reactivate them before sending a sign-in link.")
    hours = get_settings().agent_invite_hours
    allowance = ratelimit.limit_mail(session, to=agent.email, client=f"agent:{actor.id}")
    send_system_mail(
        session,
        allowance=allowance,
        to=agent.email,
        subject="Your sign-in link for Rapport",
        text=(
            f"{actor.name} gave you an account in Rapport, the help desk, as {agent.email}.\n\n"
            f"Choose your password and sign in here (the link works once, for {hours} hours):\n"
            f"{make_link(agent)}\n\n"
            "If you did not expect this, ignore this mail."
        ),
    )
    record(session, "agent.invited", actor, object="agent", object_id=agent.id, fields={"email": agent.email})
    return agent


def agent_for(session: Session, token: str) -> Agent:
    """The active agent a sign-in link is for; Invalid when it was used, expired or is not ours."""
    return links.agent_for(session, "agent-invite", token, _invalid())


def _invalid() -> Invalid:
    return Invalid(INVALID.format(hours=get_settings().agent_invite_hours))


def accept(session: Session, token: str, password: str) -> tuple[AgentSession, str]:
    """Set the password the link's agent chose and open a browser session for them (the link is then spent)."""
    agent = agent_for(session, token)
    service.set_password_by_link(session, agent, password)
    return auth.sign_in(session, agent.email, password)
