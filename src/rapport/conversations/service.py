"""Agent-side changes to a conversation: reply, note, status, priority, assignee, team, tags, category."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.conversations import attachments, composer, repository
from rapport.conversations.fields import validate_values
from rapport.conversations.lifecycle import Noted, Sent
from rapport.conversations.lifecycle import orm as lifecycle
from rapport.conversations.mentions import mention
from rapport.conversations.reply_options import check_window, confirmed_reply_to, default_reply_channel
from rapport.conversations.status import move
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import html as htmlkit
from rapport.kit import markup
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import Agent, Conversation, ConversationTag, Message, Team
from rapport.models.enums import AuthorKind, Channel, DeliveryStatus, Direction, Priority, Status
from rapport.worker import queue

UNSET = object()


@dataclass
class Changes:
    """The attributes a PATCH may change; UNSET leaves one alone, None clears it where allowed."""

    status: Status | object = UNSET
    priority: Priority | object = UNSET
    assignee_id: int | None | object = UNSET
    team_id: int | None | object = UNSET
    category: str | None | object = UNSET  # a category's name (case aside); None clears it
    subject: str | object = UNSET
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    fields: dict | None = None


def reply(
    session: Session,
    actor: Actor,
    conversation_id: int,
    *,
    text: str | None = None,
    html: str | None = None,
    channel: Channel | None = None,
    status: Status | None = None,
    files: list[attachments.IncomingFile] | None = None,
    confirm_reply_to: str | None = None,
    markdown: str | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    signatures: frozenset[str] | None = None,
) -> Message:
    """An outbound message in the customer's latest channel (or `channel`), queued for delivery.

    An email reply goes to the customer's latest mail's Reply-To only when that is one of their addresses or the
    agent confirms it here (`confirm_reply_to`, the address shown in the reply options); else to its From.
    `markdown` is the composer's markup (instead of text and html); an email reply may have `cc` and `bcc`
    addresses and ends with the signatures that apply, those named in `signatures` only when it is given.
    """
    return _append(
        session,
        actor,
        conversation_id,
        Direction.outbound,
        text=text,
        html=html,
        channel=channel,
        status=status,
        files=files or [],
        confirm_reply_to=confirm_reply_to,
        markdown=markdown,
        cc=cc,
        bcc=bcc,
        signatures=signatures,
    )


def add_note(
    session: Session,
    actor: Actor,
    conversation_id: int,
    *,
    text: str | None = None,
    html: str | None = None,
    files: list[attachments.IncomingFile] | None = None,
    markdown: str | None = None,
) -> Message:
    """An internal note: seen by agents only (`markdown`: the composer's markup, instead of text and html)."""
    return _append(
        session,
        actor,
        conversation_id,
        Direction.note,
        text=text,
        html=html,
        channel=None,
        status=None,
        files=files or [],
        markdown=markdown,
    )


def _append(
    session: Session,
    actor: Actor,
    conversation_id: int,
    direction: Direction,
    *,
    text,
    html,
    channel,
    status,
    files,
    confirm_reply_to: str | None = None,
    markdown: str | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    signatures: frozenset[str] | None = None,
) -> Message:
    authorize(actor, "conversations.write")
    if markdown is not None and (text or html):
        raise Invalid("Send the composer's markup, or text and html, not both.", errors=[{"field": "markdown"}])
    if markdown is not None and markdown.strip():
        formatted = markup.render(markdown)  # converted before the row lock: bounded like any HTML (TooLarge)
        text, html = formatted.text, formatted.html
    if not (text or html or files):
        raise Invalid("A reply or note needs text, html or an attachment.", errors=[{"field": "text"}])
    if direction == Direction.note and (cc or bcc):
        raise Invalid("An internal note goes to no one: Cc and Bcc are for email replies.", errors=[{"field": "cc"}])
    attachments.check(files)
    # Checked and counted before the row lock: on PostgreSQL counting waits for a lock per address (kit/ratelimit),
    # which must never be awaited while holding a conversation (a refused reply rolls the count back).
    cc_list, bcc_list = composer.recipients(session, actor, cc, bcc) if cc or bcc else ([], [])
    # Sanitised before the row lock, and bounded (RAPPORT_MAX_HTML_CHARS, _DEPTH): its time grows with depth.
    body_html = htmlkit.sanitize_bounded(html) if html else (htmlkit.text_to_html(text) if text else None)
    conv = repository.get_for_update(session, conversation_id)
    if conv.status == Status.closed:
        raise Conflict(
            f"Conversation {conv.id} is closed; closed conversations are read-only. "
            "The customer's next message opens a follow-up."
        )
    if conv.merged_into_id:
        raise Conflict(f"Conversation {conv.id} was merged into {conv.merged_into_id}; write there.")
    body_text = text if text is not None else htmlkit.to_text(body_html or "")
    if direction == Direction.note:
        channel_value = conv.channel
    else:
        channel_value = channel.value if channel else default_reply_channel(session, conv)
        check_window(session, conv, channel_value)  # e.g. WhatsApp's 24 hours: refused before anything is written
    meta: dict = {}
    email_meta: dict = {}
    if confirm_reply_to and direction == Direction.outbound:
        # Kept with the reply: the sender uses that Reply-To only if it is still the latest mail's.
        email_meta["confirmed_reply_to"] = confirmed_reply_to(session, conv, confirm_reply_to, channel_value)
    if direction == Direction.outbound and channel_value == Channel.email.value:
        email_meta.update({k: v for k, v in (("cc", cc_list), ("bcc", bcc_list)) if v})
        # Stored signed: the timeline shows what the customer got, and a retried delivery sends the same words.
        chosen = [
            s for s in composer.signatures(session, actor, conv.inbox_id) if signatures is None or s.kind in signatures
        ]
        body_html, body_text = composer.sign(body_html, body_text, chosen)
        if chosen:
            meta["signatures"] = [s.kind for s in chosen]
    elif cc_list or bcc_list:
        raise Invalid(f"Cc and Bcc are for email replies, not {channel_value}.", errors=[{"field": "cc"}])
    if email_meta:
        meta["email"] = email_meta
    stamp = now()
    message = Message(
        conversation_id=conv.id,
        direction=direction.value,
        channel=channel_value,
        author_kind=AuthorKind.agent.value if actor.kind == "agent" else AuthorKind.system.value,
        agent_id=actor.id if actor.kind == "agent" else None,
        # The addressee: the portal and chat show a customer only the messages from and to them (a merge).
        customer_id=conv.customer_id if direction == Direction.outbound else None,
        inbox_id=conv.inbox_id,
        body_text=body_text,
        body_html=body_html,
        meta=meta,
        created_at=stamp,
        delivery_status=DeliveryStatus.queued.value if direction == Direction.outbound else None,
    )
    session.add(message)
    session.flush()
    attachments.save(session, message.id, files)
    conv.message_count += 1
    name = "message.sent" if direction == Direction.outbound else "note.added"
    record(
        session,
        name,
        actor,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        message_id=message.id,
        direction=direction.value,
        channel=channel_value,
    )
    if direction == Direction.outbound:
        queue.enqueue(session, "messages.deliver", {"message_id": message.id}, dedupe_key=f"deliver:{message.id}")
        then = status.value if status is not None else None
        lifecycle.apply(session, actor, conv, Sent(stamp, by_agent=actor.kind == "agent", then=then))
    else:
        lifecycle.apply(session, actor, conv, Noted(stamp))
        # Recorded here, not by a page, so a note through the API notifies the agents it names as well.
        mention(session, actor, message, body_text)
    return message


def update(session: Session, actor: Actor, conversation_id: int, changes: Changes) -> Conversation:
    """Apply every requested change, each recorded as its own event; nothing is written if one is invalid."""
    authorize(actor, "conversations.write")
    conv = repository.get_for_update(session, conversation_id)
    if conv.merged_into_id:
        raise Conflict(f"Conversation {conv.id} was merged into {conv.merged_into_id}; change that one.")
    ids = {"conversation_id": conv.id, "customer_id": conv.customer_id}
    _check_refs(session, actor, changes)
    category_id = (
        UNSET if changes.category is UNSET else categories.resolve(session, changes.category, current=conv.category_id)
    )
    new_fields = validate_values(session, changes.fields, conv.custom_fields) if changes.fields else None
    if conv.status == Status.closed and (changes.status is UNSET or changes.status == Status.closed):
        raise Conflict(f"Conversation {conv.id} is closed; closed conversations are read-only.")
    touched = False
    for attr, event in (
        ("priority", "conversation.priority_changed"),
        ("assignee_id", "conversation.assigned"),
        ("team_id", "conversation.team_changed"),
        ("subject", "conversation.subject_changed"),
    ):
        value = getattr(changes, attr)
        if value is UNSET:
            continue
        value = value.value if isinstance(value, Priority) else value
        old = getattr(conv, attr)
        if old != value:
            setattr(conv, attr, value)
            record(session, event, actor, from_=old, to=value, **ids)
            touched = True
    if category_id is not UNSET and category_id != conv.category_id:
        named = categories.names(session, [conv.category_id, category_id])
        record(session, "conversation.category_changed", actor, from_=named.get(conv.category_id),
               to=named.get(category_id), **ids)  # fmt: skip
        conv.category_id = category_id
        touched = True
    touched |= _retag(session, actor, conv, changes.add_tags, changes.remove_tags)
    if new_fields is not None and new_fields != conv.custom_fields:
        diff = {
            k: [conv.custom_fields.get(k), new_fields.get(k)]
            for k in set(conv.custom_fields) | set(new_fields)
            if conv.custom_fields.get(k) != new_fields.get(k)
        }
        conv.custom_fields = new_fields
        record(session, "conversation.fields_changed", actor, changes=diff, **ids)
        touched = True
    if changes.status is not UNSET:
        touched |= move(session, actor, conv, Status(changes.status))
    if touched:
        conv.updated_at = now()
    return conv


def _check_refs(session: Session, actor: Actor, changes: Changes) -> None:
    if changes.assignee_id not in (UNSET, None):
        agent = session.get(Agent, changes.assignee_id)
        if agent is None or not agent.active:
            raise NotFound(f"There is no active agent {changes.assignee_id} to assign.")
        if changes.assignee_id != actor.id:
            authorize(actor, "conversations.assign_others")
    if changes.team_id not in (UNSET, None) and session.get(Team, changes.team_id) is None:
        raise NotFound(f"There is no team {changes.team_id}.")


def _retag(session: Session, actor: Actor, conv: Conversation, add: list[str], remove: list[str]) -> bool:
    if not (add or remove):
        return False
    have = set(session.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == conv.id)))
    added = sorted({_tag(t) for t in add} - have)
    removed = sorted({_tag(t) for t in remove} & have)
    if added:
        session.execute(insert(ConversationTag), [{"conversation_id": conv.id, "tag": t} for t in added])
    if removed:
        session.execute(
            delete(ConversationTag).where(ConversationTag.conversation_id == conv.id, ConversationTag.tag.in_(removed))
        )
    if added or removed:
        record(
            session,
            "conversation.tags_changed",
            actor,
            conversation_id=conv.id,
            customer_id=conv.customer_id,
            added=added,
            removed=removed,
        )
    return bool(added or removed)


def _tag(tag: str) -> str:
    value = tag.strip().lower().replace(" ", "-")
    if not value or len(value) > 64:
        raise Invalid(f"Tag '{tag}' must be 1 to 64 characters.", errors=[{"field": "tags"}])
    return value
