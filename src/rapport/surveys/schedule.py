"""When a conversation is solved, its survey is scheduled by the send rules; when it reopens, withdrawn.

This is a lifecycle hook (conversations.lifecycle.hooks): it runs in the change's own transaction, writes the
request row, its event and its job, and does no I/O beyond the database. Sending is the job's (surveys.send).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from rapport.calendars import service as calendars
from rapport.conversations.lifecycle import hooks
from rapport.conversations.lifecycle.core import MergedAway
from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM
from rapport.kit.business_time import add_business_seconds
from rapport.kit.clock import now
from rapport.models import (
    Conversation,
    Customer,
    Identity,
    Message,
    Survey,
    SurveyHold,
    SurveyRequest,
    SurveyVersion,
)
from rapport.surveys import events
from rapport.worker import scheduler

SEND, EXPIRE = "surveys.send", "surveys.expire"
SCHEDULED, SENT, ANSWERED, EXPIRED, WITHDRAWN = "scheduled", "sent", "answered", "expired", "withdrawn"
OPEN_STATES = (SCHEDULED, SENT)
OPT_OUT = "surveys_opt_out"  # a customer attribute: true means never survey this customer
# Mailboxes no person reads: an automatic sender, a bounce address, a list or system account.
NO_REPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|noreply|mailer[-_.]?daemon|postmaster|bounces?|auto[-_.]?(reply|"
    r"responder)|notifications?|daemon)([+-].*)?$"
)


def send_key(request_id: int) -> str:
    """The key of a request's sending job."""
    return f"survey:send:{request_id}"


def expire_key(request_id: int) -> str:
    """The key of a request's expiry job."""
    return f"survey:expire:{request_id}"


def no_reply(address: str) -> bool:
    """True for an address nobody reads (no-reply, mailer-daemon, bounces …): a survey is never sent there."""
    local = address.rpartition("@")[0].lower()
    return not local or bool(NO_REPLY.match(local))


def sampled(conversation_id: int, survey_id: int, percent: int) -> bool:
    """Whether the conversation falls in the sample: stable for a conversation, so a replay decides the same."""
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"{survey_id}:{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def opted_out(customer: Customer | None) -> bool:
    """The customer asked not to be surveyed (the `surveys_opt_out` attribute)."""
    return customer is None or bool((customer.attributes or {}).get(OPT_OUT))


def email_target(session: Session, conversation: Conversation) -> str | None:
    """The address the survey goes to: the customer's email identity their last mail came from, else their first."""
    last = session.scalar(
        select(Message.meta)
        .where(Message.conversation_id == conversation.id, Message.direction == "inbound", Message.channel == "email")
        .order_by(Message.id.desc())
        .limit(1)
    )
    known = list(
        session.scalars(
            select(Identity.address)
            .where(Identity.customer_id == conversation.customer_id, Identity.kind == "email")
            .order_by(Identity.id)
        )
    )
    sender = ((last or {}).get("from") or "").lower() if isinstance(last, dict) else ""
    for address in ([sender] if sender in known else []) + known:
        if not no_reply(address):
            return address
    return None


def phone_target(session: Session, conversation: Conversation, kind: str) -> str | None:
    """The number an SMS (`phone`) or WhatsApp (`whatsapp`) survey goes to (or the chat identity, `chat`): the
    customer's first such identity."""
    return session.scalar(
        select(Identity.address)
        .where(Identity.customer_id == conversation.customer_id, Identity.kind == kind)
        .order_by(Identity.id)
        .limit(1)
    )


def target_of(session: Session, conversation: Conversation) -> str | None:
    """Where the conversation's survey goes in its own channel, or None (no usable address)."""
    if conversation.channel in ("email", "portal"):
        # A portal conversation's survey is mailed too (and shown in the portal, channels.portal.surveys).
        return email_target(session, conversation)
    if conversation.channel == "sms":
        return phone_target(session, conversation, "phone")
    if conversation.channel == "whatsapp":
        return phone_target(session, conversation, "whatsapp")
    if conversation.channel == "chat":
        # The chat identity (a visitor's random address): the widget of that visitor shows the survey.
        return phone_target(session, conversation, "chat")
    return None


def hold_reason(hold: SurveyHold) -> str:
    """The withdrawn reason a "don't survey" hold gives."""
    return "the conversation is marked don't survey" + (f": {hold.reason}" if hold.reason else "")


def held(session: Session, conversation_id: int) -> str | None:
    """Why the conversation must not be surveyed ("don't survey" is set on it), or None."""
    hold = session.get(SurveyHold, conversation_id)
    return hold_reason(hold) if hold is not None else None


def due(session: Session, rules: dict, solved_at: datetime) -> datetime:
    """When to send: the delay after solving, in business time on the rules' calendar (else calendar time)."""
    seconds = int(rules.get("delay_minutes", 0)) * 60
    calendar_id = rules.get("calendar_id")
    if seconds and calendar_id is not None:
        version = calendars.version_at(session, calendar_id, solved_at)
        if version is not None:
            return add_business_seconds(calendars.calendar_of(version), solved_at, seconds)
    return solved_at + timedelta(seconds=seconds)


def _skip(session: Session, conv: Conversation, rules: dict, survey_id: int, at: datetime) -> str | None:
    """Why this conversation is not surveyed, or None when it is."""
    if conv.channel not in rules.get("channels", ["email"]):
        return "channel"
    if conv.message_count < int(rules.get("min_messages", 0)):
        return "too few messages"
    if rules.get("require_person_reply", True) and not session.scalar(
        select(
            exists().where(
                Message.conversation_id == conv.id, Message.direction == "outbound", Message.author_kind == "agent"
            )
        )
    ):
        return "no reply by a person"
    if opted_out(session.get(Customer, conv.customer_id)):
        return "opted out"
    if not sampled(conv.id, survey_id, int(rules.get("sample_percent", 100))):
        return "not sampled"
    cooldown = int(rules.get("cooldown_days", 0))
    if cooldown and session.scalar(
        select(
            exists().where(
                SurveyRequest.customer_id == conv.customer_id,
                SurveyRequest.conversation_id != conv.id,
                SurveyRequest.state != WITHDRAWN,
                SurveyRequest.created_at > at - timedelta(days=cooldown),
            )
        )
    ):
        return "cooldown"
    return None


def schedule_for(session: Session, conversation_id: int, at: datetime) -> list[SurveyRequest]:
    """Schedule each active survey for a just-solved conversation, where the send rules allow it."""
    surveys = session.execute(
        select(Survey, SurveyVersion)
        .join(SurveyVersion, SurveyVersion.id == Survey.current_version_id)
        .where(Survey.active.is_(True))
    ).all()
    if not surveys:
        return []
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.merged_into_id is not None:
        return []
    out = []
    hold = held(session, conv.id)
    for survey, version in surveys:
        existing = session.scalar(
            select(SurveyRequest).where(SurveyRequest.conversation_id == conv.id, SurveyRequest.survey_id == survey.id)
        )
        # Once per conversation: only a request withdrawn before it was sent may be scheduled again.
        if existing is not None and (existing.state != WITHDRAWN or existing.sent_at is not None):
            continue
        rules = version.rules
        if hold is not None and conv.channel in rules.get("channels", ["email"]):
            # Recorded withdrawn, so the conversation's timeline says why no survey went.
            row = existing or SurveyRequest(survey_id=survey.id, conversation_id=conv.id, created_at=at)
            row.version_id, row.customer_id, row.channel = version.id, conv.customer_id, conv.channel
            row.target = (target_of(session, conv) or "")[:320]
            row.state, row.reason, row.due_at, row.token_hash, row.updated_at = WITHDRAWN, hold[:200], None, None, at
            if existing is None:
                session.add(row)
            session.flush()
            _record(session, events.WITHDRAWN.name, row)
            continue
        if _skip(session, conv, rules, survey.id, at) is not None:
            continue
        target = target_of(session, conv)
        if target is None:
            continue
        when = due(session, rules, at)
        row = existing or SurveyRequest(survey_id=survey.id, conversation_id=conv.id, created_at=at)
        row.version_id, row.customer_id, row.channel, row.target = version.id, conv.customer_id, conv.channel, target
        row.state, row.reason, row.due_at, row.token_hash, row.updated_at = SCHEDULED, "", when, None, at
        if existing is None:
            session.add(row)
        session.flush()
        scheduler.schedule(session, SEND, send_key(row.id), when, {"request_id": row.id})
        _record(session, events.SCHEDULED.name, row)
        out.append(row)
    return out


def withdraw(session: Session, row: SurveyRequest, reason: str) -> None:
    """Withdraw an unanswered request (its jobs cancelled; its link is refused from now on)."""
    scheduler.cancel(session, send_key(row.id))
    scheduler.cancel(session, expire_key(row.id))
    # The link's hash is kept: following it then says the survey was withdrawn, not that the link is not valid.
    row.state, row.reason, row.due_at, row.updated_at = WITHDRAWN, reason[:200], None, now()
    session.flush()
    _record(session, events.WITHDRAWN.name, row)


def withdraw_for(session: Session, conversation_id: int, reason: str) -> int:
    """Withdraw the conversation's unanswered requests; how many."""
    rows = list(
        session.scalars(
            select(SurveyRequest).where(
                SurveyRequest.conversation_id == conversation_id, SurveyRequest.state.in_(OPEN_STATES)
            )
        )
    )
    for row in rows:
        withdraw(session, row, reason)
    return len(rows)


def _record(session: Session, name: str, row: SurveyRequest, **extra) -> None:
    record(
        session, name, SYSTEM, conversation_id=row.conversation_id, customer_id=row.customer_id, request_id=row.id,
        survey_id=row.survey_id, version_id=row.version_id, channel=row.channel,
        due_at=row.due_at.isoformat() if row.due_at else None, reason=row.reason, **extra,
    )  # fmt: skip


@hooks.register("surveys")
def on_lifecycle(session: Session, steps: list[hooks.Step]) -> None:
    """Schedule on a move to solved; withdraw on a reopen or a merge away (cheap when neither happened)."""
    for step in steps:
        if step.imported or step.change is None:
            continue
        for event in step.events:
            if event.name != "conversation.status_changed":
                continue
            to, before = event.payload.get("to"), event.payload.get("from_")
            if to == "solved":
                schedule_for(session, step.conversation_id, step.change.at)
            elif before in ("solved", "closed") and to not in ("solved", "closed"):
                withdraw_for(session, step.conversation_id, "the conversation reopened")
        if isinstance(step.change, MergedAway):
            withdraw_for(session, step.conversation_id, "the conversation was merged")
