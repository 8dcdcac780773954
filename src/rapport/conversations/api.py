"""REST routes for conversations, messages and timelines: HTTP in, service call, HTTP out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.conditions import params
from rapport.config import get_settings
from rapport.conversations import delivery, present, repository, service
from rapport.conversations import merge as merging
from rapport.conversations import snooze as snoozing
from rapport.conversations.attachments import IncomingFile
from rapport.conversations.reply_options import ReplyOptions, reply_options
from rapport.conversations.schemas import (
    ConversationDetail,
    ConversationOut,
    ConversationPatch,
    ListQuery,
    MergeIn,
    MessageOut,
    NoteIn,
    OpenQuery,
    ReplyIn,
    SnoozeIn,
)
from rapport.events.schemas import EventOut
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import cursor as cursors
from rapport.kit.problems import Invalid, NotFound
from rapport.kit.schema import Id, Int, Limit, Page
from rapport.models import Attachment, Message
from rapport.web.deps import DB, Me, read, requires
from rapport.web.fastjson import FastJSON
from rapport.web.files import attachment_response
from rapport.web.lean import LeanRoute

router = APIRouter(tags=["conversations"])


def _limit(limit: int) -> int:
    cap = get_settings().max_page_size
    if not 1 <= limit <= cap:
        raise Invalid(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE).", errors=[{"field": "limit"}])
    return limit


def _cursor(raw: str | None, sort: str) -> tuple | None:
    if raw is None:
        return None
    if sort == "due":
        return _due_cursor(raw)
    try:
        kind, value, last_id, *rank = cursors.decode(raw)
        if kind != sort or len(rank) != (sort == "priority") or (rank and rank[0] not in repository.RANKS.values()):
            raise ValueError
        return datetime.fromisoformat(value), int(last_id), *rank
    except (ValueError, TypeError) as exc:
        raise Invalid(
            "The cursor is not valid for this sort; start again without it.", errors=[{"field": "cursor"}]
        ) from exc


def _due_cursor(raw: str) -> tuple:
    """(deadline, id, None) among the deadlines, (None, id, updated_at) past them."""
    try:
        kind, value, last_id, *updated = cursors.decode(raw)
        if kind != "due" or len(updated) != (value is None):
            raise ValueError
        if value is None:
            return None, int(last_id), _aware(updated[0])
        return _aware(value), int(last_id), None
    except (ValueError, TypeError) as exc:
        raise Invalid(
            "The cursor is not valid for this sort; start again without it.", errors=[{"field": "cursor"}]
        ) from exc


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment


def _next_cursor(sort: str, last) -> str:
    if sort == "due":
        due, last_id, updated = repository.due_key(last)
        return cursors.encode(["due", due.isoformat(), last_id] if due else ["due", None, last_id, updated.isoformat()])
    key = last.created_at if sort.startswith("created") else last.updated_at
    rank = [repository.RANKS.get(last.priority, 0)] if sort == "priority" else []
    return cursors.encode([sort, key.isoformat(), last.id, *rank])


@router.get("/conversations", dependencies=[requires("read")], response_model=Page[ConversationOut])
async def list_conversations(request: Request, q: Annotated[ListQuery, Query()]):
    """An inbox view: filtered (query parameters, and `where`: a condition as JSON, docs/conditions.md), sorted,
    paged by cursor."""
    where = params.from_json(q.where) if q.where else None
    sort = q.sort
    n, after = _limit(q.limit), _cursor(q.cursor, sort)

    def work(session: Session, actor: Actor) -> dict:
        authorize(actor, "conversations.read")
        found = categories.by_name(session, q.category) if q.category else None
        tests = params.from_list_query(q, category_id=found.id if found else None)
        rows = repository.page(session, params.combined(tests, where), sort=sort, after=after, limit=n + 1)
        more = len(rows) > n
        rows = rows[:n]
        next_cursor = _next_cursor(sort, rows[-1]) if more else None
        return {"items": present.conversation_dicts(session, rows), "next_cursor": next_cursor}

    return FastJSON(await read(request, work))


@router.get("/conversations/{conversation_id}", dependencies=[requires("read")], response_model=ConversationDetail)
async def get_conversation(request: Request, conversation_id: Id, q: Annotated[OpenQuery, Query()]):
    """One conversation; `include=messages&include=events` adds its latest messages and timeline."""
    n_messages, n_events, include = _limit(q.messages_limit), _limit(q.events_limit), q.include

    def work(session: Session, actor: Actor) -> dict:
        authorize(actor, "conversations.read")
        conv = repository.get_row(session, conversation_id)
        detail = {
            **present.conversation_dicts(session, [conv])[0],
            "repeat_contact": present.repeat_contact(session, conv),
            "messages": None,
            "events": None,
        }
        if include and "messages" in include:
            rows = repository.latest_messages(session, conv.id, limit=n_messages)
            detail["messages"] = present.message_dicts(session, rows)
        if include and "events" in include:
            detail["events"] = present.event_dicts(repository.recent_timeline(session, conv.id, limit=n_events))
        return detail

    return FastJSON(await read(request, work))


@router.patch("/conversations/{conversation_id}", dependencies=[requires("write")], response_model=ConversationOut)
def patch_conversation(conversation_id: Id, body: ConversationPatch, session: DB, actor: Me):
    """Change status, priority, assignee, team, category, subject, tags or custom fields."""
    given = body.model_fields_set
    changes = service.Changes(
        add_tags=body.add_tags,
        remove_tags=body.remove_tags,
        fields=body.fields,
        **{
            k: getattr(body, k)
            for k in ("status", "priority", "assignee_id", "team_id", "category", "subject")
            if k in given
        },
    )
    if "status" in given and body.status is None:
        raise Invalid("status cannot be null.", errors=[{"field": "status"}])
    conv = service.update(session, actor, conversation_id, changes)
    session.flush()
    return present.conversations(session, [conv])[0]


@router.get(
    "/conversations/{conversation_id}/messages", dependencies=[requires("read")], response_model=Page[MessageOut]
)
def list_messages(conversation_id: Id, session: DB, actor: Me, before: Int | None = None, limit: Limit = 50):
    """Messages, newest page first (each page oldest-first); `before` pages back in time."""
    authorize(actor, "conversations.read")
    repository.get(session, conversation_id)
    n = _limit(limit)
    rows = repository.latest_messages(session, conversation_id, limit=n + 1, before=before)
    more = len(rows) > n
    rows = rows[1:] if more else rows
    return Page(items=present.messages(session, rows), next_cursor=str(rows[0].id) if more and rows else None)


@router.post(
    "/conversations/{conversation_id}/replies",
    dependencies=[requires("write")],
    response_model=MessageOut,
    status_code=201,
)
def post_reply(conversation_id: Id, body: ReplyIn, session: DB, actor: Me):
    """Reply to the customer (queued for delivery in the chosen channel)."""
    msg = service.reply(
        session,
        actor,
        conversation_id,
        text=body.text,
        html=body.html,
        channel=body.channel,
        status=body.status,
        files=_files(body.attachments),
        confirm_reply_to=body.confirm_reply_to,
        markdown=body.markdown,
        cc=body.cc,
        bcc=body.bcc,
        signatures=frozenset(body.signatures) if body.signatures is not None else None,
    )
    return present.messages(session, [msg])[0]


@router.post(
    "/conversations/{conversation_id}/notes",
    dependencies=[requires("write")],
    response_model=MessageOut,
    status_code=201,
)
def post_note(conversation_id: Id, body: NoteIn, session: DB, actor: Me):
    """Add an internal note."""
    msg = service.add_note(
        session,
        actor,
        conversation_id,
        text=body.text,
        html=body.html,
        files=_files(body.attachments),
        markdown=body.markdown,
    )
    return present.messages(session, [msg])[0]


@router.post(
    "/conversations/{conversation_id}/messages/{message_id}/retry",
    dependencies=[requires("write")],
    response_model=MessageOut,
    status_code=202,
)
def post_retry_delivery(conversation_id: Id, message_id: Id, session: DB, actor: Me):
    """Try a failed reply's delivery again now (409 unless its delivery failed or is backing off)."""
    msg = delivery.retry(session, actor, conversation_id, message_id)
    return present.messages(session, [msg])[0]


@router.post("/conversations/{conversation_id}/merge", dependencies=[requires("write")], response_model=ConversationOut)
def post_merge(conversation_id: Id, body: MergeIn, session: DB, actor: Me):
    """Merge this conversation into `into_id`; returns the surviving conversation."""
    target = merging.merge(session, actor, conversation_id, body.into_id)
    session.flush()
    return present.conversations(session, [target])[0]


@router.post(
    "/conversations/{conversation_id}/snooze", dependencies=[requires("write")], response_model=ConversationOut
)
def post_snooze(conversation_id: Id, body: SnoozeIn, session: DB, actor: Me):
    """Snooze an active conversation until `until`: out of the working views, its status kept, back at that time
    (or when the customer writes) with its assignee told."""
    conv = snoozing.snooze(session, actor, conversation_id, body.until)
    session.flush()
    return present.conversations(session, [conv])[0]


@router.delete(
    "/conversations/{conversation_id}/snooze", dependencies=[requires("write")], response_model=ConversationOut
)
def delete_snooze(conversation_id: Id, session: DB, actor: Me):
    """Wake a snoozed conversation now (nothing happens when it is not snoozed)."""
    conv = snoozing.unsnooze(session, actor, conversation_id)
    session.flush()
    return present.conversations(session, [conv])[0]


@router.get("/conversations/{conversation_id}/timeline", dependencies=[requires("read")], response_model=Page[EventOut])
def get_timeline(conversation_id: Id, session: DB, actor: Me, after: Int | None = None, limit: Limit = 100):
    """The conversation's events, oldest first; `after` is the last event id seen."""
    authorize(actor, "conversations.read")
    repository.get(session, conversation_id)
    n = _limit(limit)
    rows = repository.timeline(session, conversation_id, limit=n + 1, after=after)
    more = len(rows) > n
    rows = rows[:n]
    return Page(items=present.events(rows), next_cursor=str(rows[-1].id) if more else None)


@router.get("/attachments/{attachment_id}", dependencies=[requires("read")])
def get_attachment(attachment_id: Id, session: DB, actor: Me):
    """An attachment's bytes; active types (HTML, SVG) are always downloads, never rendered."""
    authorize(actor, "conversations.read")
    att = session.get(Attachment, attachment_id)
    if att is None or session.get(Message, att.message_id) is None:
        raise NotFound(f"There is no attachment {attachment_id}.")
    return attachment_response(att)


@router.get(
    "/conversations/{conversation_id}/reply-options", dependencies=[requires("read")], response_model=ReplyOptions
)
def get_reply_options(conversation_id: Id, session: DB, actor: Me) -> ReplyOptions:
    """The channels an agent can reply on, the default one, and whether each channel's reply window is open."""
    return reply_options(session, actor, conversation_id)


def _files(items) -> list[IncomingFile]:
    return [IncomingFile(filename=a.filename, data=a.raw(), content_type=a.content_type) for a in items]


# Served by web.lean.LeanReads (the same functions, without FastAPI's per-request machinery); see app.py.
LEAN = [
    LeanRoute(re.compile(r"/api/v1/conversations"), list_conversations, ListQuery),
    LeanRoute(re.compile(r"/api/v1/conversations/(\d+)"), get_conversation, OpenQuery),
]
