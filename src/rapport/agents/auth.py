"""Turning credentials (bearer token, session cookie, password) into an Actor."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from rapport.agents import repository
from rapport.config import get_settings
from rapport.events import bus
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.kit.problems import Unauthorized
from rapport.kit.secrets import new_token, token_hash, verify_password
from rapport.models import Agent, AgentSession, ApiToken
from rapport.models.enums import Role

TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is informative; writing it every request would cost a write


_T, _A = ApiToken.__table__.c, Agent.__table__.c
# Every API request runs this: one prebuilt Core statement (for one token or a batch), no ORM identity map.
_BY_TOKENS = (
    select(
        _T.id,
        _T.token_hash,
        _T.name,
        _T.prefix,
        _T.scopes,
        _T.revoked_at,
        _T.last_used_at,
        _A.id.label("agent_id"),
        _A.name.label("agent_name"),
        _A.role,
        _A.active,
    )
    .join_from(ApiToken.__table__, Agent.__table__, _A.id == _T.agent_id)
    .where(_T.token_hash.in_(bindparam("hashes", expanding=True)))
)


def actor_for(session: Session, agent: Agent, scopes: list[str] | None) -> Actor:
    """The Actor for an active agent."""
    teams = repository.team_ids(session, [agent.id])[agent.id]
    return Actor(
        kind="agent",
        id=agent.id,
        role=Role(agent.role),
        name=agent.name,
        scopes=frozenset(scopes) if scopes is not None else None,
        team_ids=frozenset(teams),
    )


def from_token(session: Session, plain: str) -> tuple[Actor, Row]:
    """The actor behind a bearer token (and the token's row); Unauthorized when unknown, revoked or inactive."""
    outcome = from_tokens(session, [plain])[plain]
    if isinstance(outcome, Unauthorized):
        raise outcome
    return outcome


def from_tokens(session: Session, plains: list[str]) -> dict[str, tuple[Actor, Row] | Unauthorized]:
    """Resolve several bearer tokens at once (the inbound intake authenticates a whole batch)."""
    hashes = {token_hash(p): p for p in plains}
    out: dict[str, tuple[Actor, Row] | Unauthorized] = {}
    missing = []
    for digest, plain in hashes.items():
        hit = _CACHE.get(digest)
        if hit is not None:
            out[plain] = hit
        else:
            missing.append(digest)
    if not missing:
        return out
    rows = {r.token_hash: r for r in session.connection().execute(_BY_TOKENS, {"hashes": missing})}
    teams = repository.team_ids(session, list({r.agent_id for r in rows.values()}))
    for digest in missing:
        plain, token = hashes[digest], rows.get(digest)
        if token is None:
            out[plain] = Unauthorized("This API token is not valid. Create one under Admin > API tokens.")
        elif token.revoked_at is not None:
            out[plain] = Unauthorized(f"API token '{token.name}' ({token.prefix}…) was revoked.")
        elif not token.active:
            out[plain] = Unauthorized(f"The agent behind API token '{token.name}' is deactivated.")
        else:
            actor = Actor(
                kind="agent",
                id=token.agent_id,
                role=Role(token.role),
                name=token.agent_name,
                scopes=frozenset(token.scopes),
                team_ids=frozenset(teams[token.agent_id]),
            )
            out[plain] = _CACHE.put(digest, (actor, token))
    return out


class TokenCache:
    """Resolved bearer tokens for RAPPORT_AUTH_CACHE_SECONDS, so a busy client costs no lookup per request.

    Every API request presents its token; looking it up (token, agent and teams) cost more than the
    request's own query. After a commit that revokes a token or changes an agent or a team, this process
    forgets everything at once (a bus subscriber); other processes notice within the configured seconds.
    """

    def __init__(self):
        self._entries: dict[str, tuple[float, tuple[Actor, Row]]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> tuple[Actor, Row] | None:
        """The cached resolution, if still fresh."""
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: str, value: tuple[Actor, Row]) -> tuple[Actor, Row]:
        """Keep a resolution for the configured seconds (0 keeps nothing)."""
        seconds = get_settings().auth_cache_seconds
        if seconds > 0:
            with self._lock:
                if len(self._entries) >= 10_000:  # bounded: a flood of distinct tokens cannot grow it
                    self._entries.clear()
                self._entries[digest] = (time.monotonic() + seconds, value)
        return value

    def forget(self, digest: str | None = None) -> None:
        """Drop one token's entry, or every entry."""
        with self._lock:
            if digest is None:
                self._entries.clear()
            else:
                self._entries.pop(digest, None)


_CACHE = TokenCache()
_FORGET_ON = {"token.revoked", "agent.updated", "team.updated"}


def _forget_after_commit(events) -> None:
    if any(e.name in _FORGET_ON for e in events):
        _CACHE.forget()


bus.subscribe(_forget_after_commit)


def needs_touch(token: Row) -> bool:
    """True when last_used_at is stale enough to be worth a write."""
    return token.last_used_at is None or now() - token.last_used_at > TOUCH_EVERY


def touch(session: Session, token: Row) -> None:
    """Record that a token was used just now."""
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now()))
    _CACHE.forget(token.token_hash)  # the cached row's last_used_at is now stale


def sign_in(session: Session, email: str, password: str) -> tuple[AgentSession, str]:
    """Check a password and open a browser session; the cookie value is returned once."""
    agent = repository.by_email(session, email)
    usable = agent is not None and agent.active
    # Always exactly one Argon2 verification (a dummy hash when there is no account, no password or it is
    # inactive): an unknown address must take as long as a wrong password, or timing lists the accounts.
    matches = verify_password(agent.password_hash if usable else None, password)
    if not usable or not matches:
        raise Unauthorized("That email and password do not match an active agent.")
    plain = new_token("rps")
    stamp = now()
    row = AgentSession(
        agent_id=agent.id,
        token_hash=token_hash(plain),
        csrf_token=new_token("csrf"),
        created_at=stamp,
        expires_at=stamp + timedelta(days=get_settings().session_days),
    )
    session.add(row)
    session.flush()
    record(session, "agent.signed_in", actor_for(session, agent, None))
    return row, plain


def from_session(session: Session, plain: str) -> tuple[Actor, AgentSession]:
    """The actor behind a session cookie; Unauthorized when it expired or was signed out."""
    row = session.execute(
        select(AgentSession, Agent)
        .join(Agent, Agent.id == AgentSession.agent_id)
        .where(AgentSession.token_hash == token_hash(plain))
    ).first()
    if row is None or row[0].revoked_at is not None or row[0].expires_at <= now() or not row[1].active:
        raise Unauthorized("Your session has ended; sign in again.")
    return actor_for(session, row[1], None), row[0]


def sign_out(session: Session, actor: Actor, session_id: int, *, everywhere: bool = False) -> int:
    """End this session, or every session of the agent; returns how many ended."""
    query = update(AgentSession).where(AgentSession.revoked_at.is_(None))
    query = query.where(AgentSession.agent_id == actor.id) if everywhere else query.where(AgentSession.id == session_id)
    ended = session.execute(query.values(revoked_at=now())).rowcount
    record(session, "agent.signed_out", actor)
    return ended
