"""The chat API the widget calls, under /chat/api/<inbox public key>/, authenticated by the visitor token header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from rapport.channels.chat import service, verify
from rapport.channels.chat.schemas import (
    ChatMessageIn,
    CodeIn,
    EmailIn,
    PersonIn,
    SurveyAnswerIn,
    TypingIn,
    VisitorIn,
)
from rapport.config import get_settings
from rapport.conversations.attachments import IncomingFile
from rapport.kit.schema import Id, Int, Str
from rapport.models import ChatVisitor
from rapport.realtime import sse
from rapport.routing.queue import REFRESH_SECONDS, Standing
from rapport.routing.wait import Wait
from rapport.web.deps import DB, PUBLIC, client_address, requires
from rapport.web.errors import problem_response
from rapport.web.files import attachment_response

router = APIRouter(prefix="/chat/api/{key}", tags=["chat"], dependencies=[requires(PUBLIC)])


def visitor(
    key: Str,
    session: DB,
    x_rapport_visitor: Annotated[str | None, Header(max_length=200)] = None,
) -> ChatVisitor:
    """The visitor behind the X-Rapport-Visitor header."""
    return service.authenticate(session, key, x_rapport_visitor)


Visitor = Annotated[ChatVisitor, Depends(visitor)]
TokenHeader = Annotated[str | None, Header(max_length=200)]


def _wait(wait: Wait) -> dict:
    return {
        "available": wait.seconds is not None,
        "seconds": wait.seconds,
        "waiting": wait.waiting,
        "agents_online": wait.agents_online,
        "text": wait.spoken(),
    }


def _standing(st: Standing) -> dict:
    return {
        "waiting": st.waiting,
        "position": st.position,
        "agents_online": st.agents_online,
        "available": st.available,
        "seconds": st.seconds,
        "answered_by": st.answered_by,
        "position_text": st.position_text(),
        "wait_text": st.wait_text(),
        # Ask again after this many seconds while waiting (the agent's reply also arrives on the stream).
        "refresh_seconds": REFRESH_SECONDS if st.waiting else None,
    }


Client = Annotated[str, Depends(client_address)]


@router.post("/visitors", status_code=201)
def start(key: Str, body: VisitorIn, session: DB, client: Client) -> dict:
    """Start a chat: a visitor token for this browser (keep it; it is the only way back to this chat)."""
    row, token = service.start(session, key, name=body.name, client=client)
    return {"token": token, "visitor_id": row.id, "wait": _wait(service.wait(session, row.inbox_id))}


@router.get("/status")
def status(key: Str, session: DB) -> dict:
    """Whether a person is available and the expected wait (offer email when nobody is)."""
    return _wait(service.inbox_wait(session, key))


@router.get("/theme")
def theme(key: Str, session: DB, response: Response) -> dict:
    """The widget's colours from the inbox's settings.theme (the defaults when none are set)."""
    colours = service.theme(session, key)
    # Every page view of the host site asks: browsers keep the answer a few minutes, as they keep widget.js.
    response.headers["Cache-Control"] = "public, max-age=300"
    return colours


@router.get("/queue")
def queue(session: DB, me: Visitor) -> dict:
    """The visitor's place in the human queue and the expected wait, or the name of the agent who answered."""
    return _standing(service.standing(session, me))


@router.get("/messages")
def history(session: DB, me: Visitor, after: Int = 0, limit: Annotated[int, Query(ge=1, le=200)] = 200) -> dict:
    """The visitor's messages after id `after`, oldest first: their chat, or all their conversations once verified."""
    scope = service.scope(session, me)
    return {
        "items": service.history(session, me, after=after, limit=limit),
        "conversation_id": scope.conversation_ids[0] if scope.conversation_ids else me.conversation_id,
        "verified": me.email_verified_at is not None,
        "email": me.email,
    }


@router.post("/messages", status_code=201)
def post_message(body: ChatMessageIn, session: DB, me: Visitor, client: Client) -> dict:
    """Send a message (text and/or attachments)."""
    files = [IncomingFile(a.filename, a.raw(), a.content_type) for a in body.attachments]
    got = service.post(session, me, text=body.text, files=files, client=client)
    return {"message_id": got.message_id, "conversation_id": got.conversation_id}


@router.post("/person")
def talk_to_person(body: PersonIn, session: DB, me: Visitor, client: Client) -> dict:
    """Go to the human queue now; answers the place in the queue and the expected wait (or that nobody is available).

    `wait` is the inbox-wide estimate from before the request (kept for older widgets); `queue` is this chat's own
    standing, as `GET .../queue` reads it.
    """
    conv_id, wait = service.ask_for_person(session, me, text=body.text, client=client)
    return {"conversation_id": conv_id, "wait": _wait(wait), "queue": _standing(service.standing(session, me))}


@router.post("/email", status_code=202)
def give_email(body: EmailIn, request: Request, session: DB, me: Visitor) -> dict:
    """Give an email address; a confirmation code is mailed to it, to type in this chat (POST .../email/confirm)."""
    row = verify.request(
        session, me, email=body.email, continue_by_email=body.continue_by_email, client=client_address(request)
    )
    return {"email": row.email, "status": "code_sent"}


@router.post("/email/confirm")
def confirm_email(body: CodeIn, request: Request, session: DB, me: Visitor) -> dict:
    """Type the mailed code: this chat (only this one) then reads the address's conversation history."""
    try:
        visitor = verify.confirm(session, me, code=body.code)
    except verify.WrongCode as problem:
        return problem_response(request, problem)  # returned, not raised: the wrong try must be committed
    return {"email": visitor.email, "verified": True}


@router.get("/survey")
def survey(session: DB, me: Visitor) -> dict:
    """The open survey of the visitor's conversation (its first question and points), or `survey: null`."""
    return {"survey": service.open_survey(session, me)}


@router.post("/survey")
def answer_survey(body: SurveyAnswerIn, session: DB, me: Visitor, client: Client) -> dict:
    """Answer the open survey's first question with one tap (a re-answer updates); `page` has the rest.

    The visitor token (a header, never a cookie) is the credential, so a forging site cannot send it; answers
    spend RAPPORT_SURVEY_ANSWERS_PER_CLIENT_PER_HOUR per client address, as the survey page's do.
    """
    fresh = service.answer_survey(session, me, body.request_id, body.score, client=client)
    base = get_settings().base_url.rstrip("/")
    return {"recorded": True, "score": body.score, "page": f"{base}/survey/{body.request_id}/{fresh}"}


@router.post("/typing", status_code=204)
async def typing(body: TypingIn, request: Request, key: Str, x_rapport_visitor: TokenHeader = None):
    """The visitor is typing (or stopped): shown to the agents on the conversation, never stored.

    A repeated state within 2 s is dropped; more than RAPPORT_TYPING_SIGNALS_PER_MINUTE signals a minute answer 429.
    """
    push = await _as_visitor(request, key, x_rapport_visitor, lambda s, me: service.typing(s, me, state=body.state))
    hub = request.app.state.hub
    if push is not None and hub.typing.allow(f"visitor:{push.data['who']['id']}", body.state):
        await hub.emit(push)
    return Response(status_code=204)


@router.get("/stream")
async def stream(request: Request, key: Str, x_rapport_visitor: TokenHeader = None):
    """Server-Sent Events: agents' replies and typing, live (read with fetch, since the token is a header)."""
    topic = await _as_visitor(request, key, x_rapport_visitor, service.topic)
    hub = request.app.state.hub
    # Subscribed before the response starts: nothing committed after this line is missed.
    sub = hub.subscribe([topic])
    return sse.stream(hub, sub, heartbeat=get_settings().live_heartbeat_seconds, keep=lambda push: push.public)


@router.get("/attachments/{attachment_id}")
def attachment(attachment_id: Id, session: DB, me: Visitor):
    """A file of the visitor's conversation; always a download unless it is a passive image."""
    att = service.attachment_for(session, me, attachment_id)
    return attachment_response(att)


async def _as_visitor(request: Request, key: str, token: str | None, fn):
    """Run `fn(session, visitor)` in a read transaction off the event loop (streams must not hold a session)."""

    def run():
        with request.app.state.db.read() as session:
            return fn(session, service.authenticate(session, key, token))

    return await run_in_threadpool(run)
