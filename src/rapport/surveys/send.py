"""The survey's jobs: send it when it falls due (the mail itself goes out after commit through the system mailer,
counted per normalised address), and expire it when its window closes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.conversations import service as conversations
from rapport.kernel.permissions import SYSTEM
from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.problems import Problem
from rapport.kit.secrets import new_token, token_hash
from rapport.mail.mailer import send_system_mail
from rapport.models import Conversation, Customer, SurveyRequest, SurveyVersion
from rapport.models.enums import Channel
from rapport.surveys import events, questions
from rapport.surveys.schedule import (
    EXPIRE,
    EXPIRED,
    SCHEDULED,
    SEND,
    SENT,
    _record,
    expire_key,
    held,
    no_reply,
    opted_out,
    withdraw,
)
from rapport.worker import scheduler
from rapport.worker.runner import handler

DAY = timedelta(days=1)
MAILED = ("email", "portal")  # the channels whose survey goes by mail (the portal also shows it, answered there)


def link(request_id: int, token: str, score: int | None = None) -> str:
    """The survey page's address for a request (with a point of the first question preselected)."""
    base = get_settings().base_url.rstrip("/")
    return f"{base}/survey/{request_id}/{token}" + (f"?score={score}" if score is not None else "")


def compose(conversation: Conversation, first: dict, request_id: int, token: str) -> tuple[str, str]:
    """The mail's subject and text: the first question with one link per point, then the page for the rest."""
    lines = [
        "Hello,",
        "",
        f"Your request #{conversation.id} ({conversation.subject or 'no subject'}) was solved.",
        "Would you tell us how it went? One click answers:",
        "",
        first["prompt"],
        "",
    ]
    for point in reversed(questions.points_of(first)):
        label = point.label if point.label != str(point.score) else str(point.score)
        lines.append(f"  {label}: {link(request_id, token, point.score)}")
    lines += ["", "Each link opens a short page where you confirm your answer and can add more.", ""]
    return f"How did we do? (request #{conversation.id})", "\n".join(lines)


def compose_text(first: dict, request_id: int, token: str) -> str:
    """The SMS or WhatsApp survey: the first question, "reply with a number", and the page's link for the rest."""
    points = questions.points_of(first)
    low, high = points[0], points[-1]
    ends = (
        f"{low.score} to {high.score}"
        if low.label == str(low.score)
        else f"{low.score} ({low.label}) to {high.score} ({high.label})"
    )
    return f"{first['prompt']} Reply with a number from {ends}. Or answer here: {link(request_id, token)}"


def compose_chat(first: dict, request_id: int, token: str) -> str:
    """The chat survey's message: the widget shows the first question's points under it as buttons."""
    return f"{first['prompt']} Choose an answer below, or answer here: {link(request_id, token)}"


def survey_keys(target: str) -> tuple[ratelimit.Key, ...]:
    """The survey's own budget per normalised address (beside the mailer's per-address hourly one)."""
    settings = get_settings()
    address = ratelimit.mail_target(target)
    return (
        ratelimit.Key(
            "survey:to", address, settings.survey_mails_per_address_per_day, "RAPPORT_SURVEY_MAILS_PER_ADDRESS_PER_DAY",
            f"survey mails to {address}", window=DAY,
        ),
    )  # fmt: skip


def send(session: Session, request_id: int) -> str:
    """Send one due request (idempotent: anything but a scheduled request is left alone); the state it ends in."""
    row = session.get(SurveyRequest, request_id)
    if row is None or row.state != SCHEDULED:
        return row.state if row else "gone"
    conv = session.get(Conversation, row.conversation_id)
    if conv is None or conv.status not in ("solved", "closed"):
        withdraw(session, row, "the conversation is not solved")
        return row.state
    if opted_out(session.get(Customer, row.customer_id)):
        withdraw(session, row, "the customer opted out of surveys")
        return row.state
    if (hold := held(session, conv.id)) is not None:
        withdraw(session, row, hold)
        return row.state
    if row.channel in MAILED and no_reply(row.target):
        withdraw(session, row, "the address takes no replies")
        return row.state
    version = session.get(SurveyVersion, row.version_id)
    # The first question in the customer's language where the survey has it translated.
    first = questions.localised(version.questions[0], session.get(Customer, row.customer_id).language)
    token = new_token("rsv")
    try:
        if row.channel in MAILED:
            # The per-address budget every system mail spends, and the survey's own; not the per-client one,
            # which bounds what one person can make us send (surveys go to every solved conversation's customer).
            per_address, _ = ratelimit.mail_keys(row.target, "surveys")
            ratelimit.spend(session, per_address, *survey_keys(row.target))
            allowance = ratelimit.MailAllowance(ratelimit.mail_target(row.target))
            subject, text = compose(conv, first, row.id, token)
            send_system_mail(
                session, to=row.target, subject=subject, text=text, allowance=allowance, key=f"survey:{row.id}"
            )
        else:
            ratelimit.spend(session, *survey_keys(row.target))
            text = (compose_chat if row.channel == "chat" else compose_text)(first, row.id, token)
            # A message in the conversation, in its channel, delivered by that channel's sender after commit (the
            # chat's live stream pushes it to the widget, which then asks for the open survey).
            conversations.reply(session, SYSTEM, conv.id, text=text, channel=Channel(row.channel))
    except Problem as refused:
        # A survey that cannot go now (a limit, WhatsApp's reply window, a closed conversation) is not worth
        # sending late: withdrawn, saying why.
        withdraw(session, row, refused.detail[:200])
        return row.state
    stamp = now()
    expiry = timedelta(days=int(version.rules.get("expiry_days", 7)))
    row.state, row.token_hash, row.sent_at, row.updated_at = SENT, token_hash(token), stamp, stamp
    row.expires_at = row.due_at = stamp + expiry
    session.flush()
    scheduler.schedule(session, EXPIRE, expire_key(row.id), row.expires_at, {"request_id": row.id})
    _record(session, events.SENT.name, row)
    return row.state


def expire(session: Session, request_id: int) -> str:
    """Close a request's window: an unanswered one expires; an answered one keeps its answers; links are refused."""
    row = session.get(SurveyRequest, request_id)
    if row is None or row.expires_at is None or row.expires_at > now():
        return row.state if row else "gone"
    # The link's hash is kept so that following it says the survey closed; open_link refuses it by expires_at.
    row.due_at, row.updated_at = None, now()
    if row.state == SENT:
        row.state = EXPIRED
        session.flush()
        _record(session, events.EXPIRED.name, row)
    session.flush()
    return row.state


@handler(SEND)
def _send_job(session: Session, payload: dict) -> None:
    send(session, int(payload["request_id"]))


@handler(EXPIRE)
def _expire_job(session: Session, payload: dict) -> None:
    expire(session, int(payload["request_id"]))
