"""REST routes for agents, teams, API tokens and browser sessions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rapport.agents import auth, repository, service, signin
from rapport.agents.schemas import (
    AgentIn,
    AgentOut,
    AgentPatch,
    SessionOut,
    SignInIn,
    TeamIn,
    TeamOut,
    TeamPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
)
from rapport.config import get_settings
from rapport.kernel.permissions import authorize
from rapport.kit.problems import Unauthorized
from rapport.kit.schema import Id
from rapport.models import Agent
from rapport.web.deps import DB, PUBLIC, SESSION, SESSION_COOKIE, Me, client_address, requires
from rapport.web.errors import problem_response

router = APIRouter(tags=["agents"])


def present(session, agents: list[Agent]) -> list[AgentOut]:
    """API shapes of agents with their team ids."""
    teams = repository.team_ids(session, [a.id for a in agents])
    return [
        AgentOut.model_validate(
            {**{k: getattr(a, k) for k in AgentOut.model_fields if k != "team_ids"}, "team_ids": teams[a.id]}
        )
        for a in agents
    ]


@router.get("/agents", dependencies=[requires("read")], response_model=list[AgentOut])
def list_agents(session: DB, actor: Me):
    """Every agent."""
    authorize(actor, "directory.read")
    return present(session, repository.all_agents(session))


@router.post("/agents", dependencies=[requires("admin")], response_model=AgentOut, status_code=201)
def create_agent(body: AgentIn, session: DB, actor: Me):
    """Create an agent (admins)."""
    agent = service.create_agent(session, actor, **body.model_dump())
    return present(session, [agent])[0]


@router.get("/agents/me", dependencies=[requires("read")], response_model=AgentOut)
def me(session: DB, actor: Me):
    """The agent making the request."""
    return present(session, [repository.get(session, actor.id)])[0]


@router.get("/agents/{agent_id:int}", dependencies=[requires("read")], response_model=AgentOut)
def get_agent(agent_id: Id, session: DB, actor: Me):
    """One agent."""
    authorize(actor, "directory.read")
    return present(session, [repository.get(session, agent_id)])[0]


@router.patch("/agents/{agent_id:int}", dependencies=[requires("write")], response_model=AgentOut)
def patch_agent(agent_id: Id, body: AgentPatch, request: Request, session: DB, actor: Me):
    """Change an agent (admins), or your own availability, name and timezone (a token needs the write scope).

    A password changes only with the session cookie (never a token): your own with `current_password`; it ends
    your other sessions (an admin's reset ends all of that agent's)."""
    data = body.model_dump(exclude_unset=True)
    try:
        agent = service.update_agent(
            session,
            actor,
            agent_id,
            team_ids=data.pop("team_ids", None),
            password=data.pop("password", None),
            current_password=data.pop("current_password", None),
            keep_session_id=getattr(request.state, "agent_session_id", None),
            client=client_address(request),
            **data,
        )
    except signin.WrongPassword as problem:
        return problem_response(request, problem)  # returned, not raised: the failure must be committed
    return present(session, [agent])[0]


@router.get("/teams", dependencies=[requires("read")], response_model=list[TeamOut])
def list_teams(session: DB, actor: Me):
    """Every team."""
    authorize(actor, "directory.read")
    return repository.all_teams(session)


@router.post("/teams", dependencies=[requires("admin")], response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, session: DB, actor: Me):
    """Create a team (admins)."""
    return service.create_team(session, actor, **body.model_dump())


@router.patch("/teams/{team_id}", dependencies=[requires("admin")], response_model=TeamOut)
def patch_team(team_id: Id, body: TeamPatch, session: DB, actor: Me):
    """Rename or describe a team (admins)."""
    return service.update_team(session, actor, team_id, **body.model_dump(exclude_unset=True))


@router.get("/tokens", dependencies=[requires("read")], response_model=list[TokenOut])
def list_tokens(session: DB, actor: Me):
    """Your API tokens; admins see everyone's."""
    return repository.tokens(session, None if actor.can("admin") else actor.id)


@router.post("/tokens", dependencies=[requires("admin")], response_model=TokenCreated, status_code=201)
def create_token(body: TokenIn, session: DB, actor: Me):
    """Create an API token; the secret is in this response only."""
    token, plain = service.create_token(session, actor, name=body.name, scopes=body.scopes, agent_id=body.agent_id)
    return TokenCreated.model_validate({**TokenOut.model_validate(token).model_dump(), "token": plain})


@router.delete("/tokens/{token_id}", dependencies=[requires("admin")], response_model=TokenOut)
def revoke_token(token_id: Id, session: DB, actor: Me):
    """Revoke an API token at once."""
    return service.revoke_token(session, actor, token_id)


@router.post("/session", dependencies=[requires(PUBLIC)], response_model=SessionOut)
def sign_in(body: SignInIn, request: Request, response: Response, session: DB):
    """Sign in with email and password; sets the session cookie (failures are limited as on the sign-in page)."""
    try:
        row, plain = signin.sign_in(session, body.email, body.password, ip=client_address(request))
    except (Unauthorized, signin.LockedOut) as problem:
        return problem_response(request, problem)  # returned, not raised: the failed attempt must be committed
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        plain,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_days * 86400,
        path="/",
    )
    return SessionOut(agent=present(session, [repository.get(session, row.agent_id)])[0], csrf_token=row.csrf_token)


@router.delete("/session", dependencies=[requires(SESSION)], status_code=204)
def sign_out(request: Request, response: Response, session: DB, actor: Me, everywhere: bool = False):
    """Sign out here, or with `everywhere=true` on every device."""
    auth.sign_out(session, actor, getattr(request.state, "agent_session_id", 0), everywhere=everywhere)
    response.delete_cookie(SESSION_COOKIE, path="/")
