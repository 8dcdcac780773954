"""The agent-facing live stream (`GET /live`, Server-Sent Events) and presence signals (`POST /live/presence`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from rapport.config import get_settings
from rapport.realtime import service, sse
from rapport.realtime.hub import Hub
from rapport.realtime.schemas import PresenceIn
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["live"])


def hub_of(request: Request) -> Hub:
    """The process's hub (started by the app's lifespan)."""
    return request.app.state.hub


@router.get(
    "/live",
    dependencies=[requires("read")],
    response_class=Response,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def live(request: Request, session: DB, actor: Me, topic: Annotated[list[str], Query()]):
    """Follow topics live (conversation:<id>, customer:<id>, inbox:<id>, agent:<id>, queue:human, all).

    Each committed event arrives as an SSE event named after it, with the message it adds; presence
    signals arrive as `typing` / `presence`. A `close` event carries the reason the server ended the stream.
    """
    # Queries run off the loop; subscribing runs on it (the hub's structures belong to the loop).
    topics = await run_in_threadpool(service.check_topics, session, actor, topic)
    hub = hub_of(request)
    return sse.stream(hub, hub.subscribe(topics), heartbeat=get_settings().live_heartbeat_seconds)


@router.post("/live/presence", dependencies=[requires("write")], status_code=204)
async def presence(body: PresenceIn, request: Request, session: DB, actor: Me) -> Response:
    """Say the agent is typing, stopped, viewing or left a conversation; pushed, never stored.

    A repeated typing state within 2 s is dropped; more than RAPPORT_TYPING_SIGNALS_PER_MINUTE typing signals a
    minute for one conversation answer 429.
    """
    push = await run_in_threadpool(service.agent_signal, session, actor, body.conversation_id, state=body.state)
    hub = hub_of(request)
    # Typing is rate-limited per agent and conversation; viewing and leaving are rare and always pass.
    if push.name != "typing" or hub.typing.allow(f"agent:{actor.id}:{body.conversation_id}", body.state):
        await hub.emit(push)
    return Response(status_code=204)
