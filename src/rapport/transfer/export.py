"""Export to the import format (JSONL), streamed page by page, so that importing the file rebuilds the data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.conversations import repository as conversation_queries
from rapport.db.session import Database
from rapport.kernel.channels import mask_secrets
from rapport.models import (
    Agent,
    Category,
    Conversation,
    Customer,
    FieldDefinition,
    Identity,
    Inbox,
    Message,
    Team,
    agent_teams,
)

PAGE = 1000


def export_jsonl(
    db: Database,
    path: Path,
    *,
    on_progress: Callable[[dict[str, int]], None] | None = None,
    include_secrets: bool = False,
) -> dict:
    """Write everything the import format carries to `path`; returns how many records of each type.

    Channel secrets (Twilio auth tokens, WhatsApp tokens and app secrets, mail passwords) are written as the
    mask the API shows unless `include_secrets`; then the file is made readable by its owner only.
    """
    counts: dict[str, int] = {}
    path = Path(path)
    if include_secrets:
        path.touch(mode=0o600)
        path.chmod(0o600)  # an existing file keeps its mode through touch
    with path.open("wb") as out, db.read() as session:
        for record in records(session, include_secrets=include_secrets):
            out.write(orjson.dumps(record) + b"\n")
            kind = record["type"]
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "conversation":
                counts["message"] = counts.get("message", 0) + len(record["messages"])
                if on_progress and counts[kind] % PAGE == 0:
                    on_progress(counts)
    return counts


def records(session: Session, *, include_secrets: bool = False) -> Iterator[dict]:
    """The database as import records: fields, teams, agents, inboxes, customers, then conversations."""
    for f in session.scalars(select(FieldDefinition).order_by(FieldDefinition.id)):
        yield {"type": "field", "key": f.key, "label": f.label, "kind": f.kind, "options": f.options,
               "required": f.required}  # fmt: skip
    teams = {}
    for team in session.scalars(select(Team).order_by(Team.id)):
        teams[team.id] = team.name
        yield {"type": "team", "name": team.name, "description": team.description}
    memberships: dict[int, list[str]] = {}
    for agent_id, team_id in session.execute(select(agent_teams.c.agent_id, agent_teams.c.team_id)):
        memberships.setdefault(agent_id, []).append(teams[team_id])
    agents = {}
    for agent in session.scalars(select(Agent).order_by(Agent.id)):
        agents[agent.id] = agent.email
        # Password hashes stay behind: an export is a data file, not a credential store.
        teams_of = sorted(memberships.get(agent.id, []))
        yield {"type": "agent", "email": agent.email, "name": agent.name, "role": agent.role, "skills": agent.skills,
               "timezone": agent.timezone, "active": agent.active, "teams": teams_of}  # fmt: skip
    inboxes = {}
    for inbox in session.scalars(select(Inbox).order_by(Inbox.id)):
        inboxes[inbox.id] = inbox.name
        # Like password hashes, channel credentials stay behind unless asked for: the mask (what the API shows)
        # takes their place, and an admin enters them again after an import.
        settings = inbox.settings if include_secrets else mask_secrets(inbox.settings or {})
        yield {"type": "inbox", "name": inbox.name, "channel": inbox.channel, "address": inbox.address,
               "team": teams.get(inbox.team_id), "settings": settings, "active": inbox.active}  # fmt: skip
    yield from _customers(session)
    yield from _conversations(session, agents, inboxes, teams)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _identities(session: Session, customer_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {cid: [] for cid in customer_ids}
    rows = session.execute(
        select(Identity.customer_id, Identity.kind, Identity.address)
        .where(Identity.customer_id.in_(customer_ids))
        .order_by(Identity.id)
    )
    for cid, kind, address in rows:
        found[cid].append(f"{kind}:{address}")
    for cid, values in found.items():
        if not values:
            # Import matches customers by identity; one without any gets a stable made-up one.
            values.append(f"external:rapport-customer-{cid}")
    return found


def _pages(session: Session, model) -> Iterator[list]:
    """Rows of `model` (customers or conversations) not merged away, a page at a time by id."""
    after = 0
    while True:
        page = list(
            session.scalars(
                select(model).where(model.id > after, model.merged_into_id.is_(None)).order_by(model.id).limit(PAGE)
            )
        )
        if not page:
            return
        yield page
        after = page[-1].id


def _customers(session: Session) -> Iterator[dict]:
    for page in _pages(session, Customer):
        identities = _identities(session, [c.id for c in page])
        for c in page:
            yield {"type": "customer", "name": c.name, "company": c.company, "language": c.language,
                   "timezone": c.timezone, "segment": c.segment, "vip": c.vip, "attributes": c.attributes,
                   "identities": identities[c.id], "created_at": _time(c.created_at),
                   "updated_at": _time(c.updated_at)}  # fmt: skip


def _conversations(session: Session, agents: dict, inboxes: dict, teams: dict) -> Iterator[dict]:
    """Conversations with their messages; merged ones are left out, their messages live in the target."""
    category_names = dict(session.execute(select(Category.id, Category.name)).all())
    for page in _pages(session, Conversation):
        ids = [c.id for c in page]
        identities = _identities(session, sorted({c.customer_id for c in page}))
        tags = conversation_queries.tags_for(session, ids)
        messages: dict[int, list[dict]] = {}
        for m in session.scalars(
            select(Message).where(Message.conversation_id.in_(ids)).order_by(Message.conversation_id, Message.id)
        ):
            messages.setdefault(m.conversation_id, []).append(_message(m, agents))
        for c in page:
            record = {
                "type": "conversation",
                "ref": c.source_ref or f"rapport-{c.id}",
                "customer": identities[c.customer_id][0],
                "inbox": inboxes[c.inbox_id],
                "channel": c.channel,
                "subject": c.subject,
                "status": c.status,
                "priority": c.priority,
                "assignee": agents.get(c.assignee_id),
                "team": teams.get(c.team_id),
                "category": category_names.get(c.category_id),
                "tags": tags.get(c.id, []),
                "fields": c.custom_fields,
                "created_at": _time(c.created_at),
                "updated_at": _time(c.updated_at),
                "solved_at": _time(c.solved_at),
                "closed_at": _time(c.closed_at),
                "messages": messages.get(c.id, []),
            }
            yield {k: v for k, v in record.items() if v is not None and v != {}}


def _message(m: Message, agents: dict) -> dict:
    # Attachments stay behind (their bytes live on disk); a message that was only attachments says so.
    text = m.body_text or ("" if m.body_html else "[attachments not exported]")
    out = {"direction": m.direction, "channel": m.channel, "text": text, "created_at": _time(m.created_at)}
    if m.external_id:
        out["id"] = m.external_id
    if m.agent_id is not None:
        out["author"] = agents.get(m.agent_id)
    if m.body_html:
        out["html"] = m.body_html
    if m.meta:
        out["meta"] = m.meta
    if m.delivery_status:
        out["delivery_status"] = m.delivery_status
    return out
