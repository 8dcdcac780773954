"""Inbox views for the workspace: the built-in views, an agent's saved views, counts, bulk changes."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.agents import repository as agents
from rapport.agents.permissions import Actor, authorize
from rapport.conversations import repository, service
from rapport.conversations import workspace_repository as queries
from rapport.conversations.workspace_repository import InboxFilter
from rapport.inboxes import repository as inboxes
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import SavedView
from rapport.models.enums import ACTIVE_STATUSES, Channel, Priority, Status

PAGE_SIZE = 50
ACTIVE = [s.value for s in ACTIVE_STATUSES]
BUILT_IN = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "teams": "My teams",
    "all": "All",
    "waiting": "Waiting longest",
}
EMPTY = {
    "mine": "Nothing is assigned to you. Pick a conversation from Unassigned or Waiting longest.",
    "unassigned": "Every open conversation has an owner. Check Waiting longest for customers who wrote last.",
    "teams": "Your teams have no open conversations (or you are in no team: an admin adds you to one).",
    "all": "No open conversations. New messages appear here as soon as they arrive.",
    "waiting": "No customer is waiting for an answer right now.",
}
FILTER_KEYS = ("status", "channel", "inbox_id", "team_id", "tag", "category", "priority")


@dataclass
class View:
    """One view's page: its key and title, the rows, their tags, whether more follow, what to say when empty."""

    key: str
    title: str
    rows: list[Row]
    tags: dict[int, list[str]]
    offset: int
    has_more: bool
    empty: str
    filters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ViewCount:
    """A view in the sidebar with how many conversations it holds."""

    key: str
    title: str
    count: int


def _filter(actor: Actor, key: str, saved: SavedView | None) -> InboxFilter:
    if saved is not None:
        f = saved.filters
        return InboxFilter(
            status=[f["status"]] if f.get("status") else ACTIVE,
            channel=f.get("channel"),
            inbox_id=f.get("inbox_id"),
            team_ids=[f["team_id"]] if f.get("team_id") else None,
            tag=f.get("tag"),
            category=f.get("category"),
            priority=f.get("priority"),
        )
    return {
        "mine": lambda: InboxFilter(status=ACTIVE, assignee_id=actor.id),
        "unassigned": lambda: InboxFilter(status=ACTIVE, unassigned=True),
        "teams": lambda: InboxFilter(status=ACTIVE, team_ids=sorted(actor.team_ids)),
        "all": lambda: InboxFilter(status=ACTIVE),
        "waiting": lambda: InboxFilter(status=[Status.new.value, Status.open.value], waiting=True),
    }[key]()


def _resolve(session: Session, actor: Actor, key: str) -> tuple[str, InboxFilter, SavedView | None]:
    if key in BUILT_IN:
        return BUILT_IN[key], _filter(actor, key, None), None
    if key.startswith("saved-") and key[6:].isdigit():
        saved = queries.saved_view(session, actor.id, int(key[6:]))
        if saved is not None:
            return saved.name, _filter(actor, key, saved), saved
    raise NotFound(f"There is no inbox view '{key}'. Pick one from the list on the left.")


def view(session: Session, actor: Actor, key: str, *, offset: int = 0) -> View:
    """One page of a view (built-in or saved by this agent)."""
    authorize(actor, "conversations.read")
    title, flt, saved = _resolve(session, actor, key)
    rows = queries.inbox_page(session, flt, limit=PAGE_SIZE + 1, offset=max(0, offset))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    empty = EMPTY.get(key, "Nothing matches this view's filters. Edit or delete the view, or try All.")
    return View(
        key,
        title,
        rows,
        repository.tags_for(session, [r.id for r in rows]),
        offset,
        more,
        empty,
        saved.filters if saved else {},
    )


def counts(session: Session, actor: Actor) -> list[ViewCount]:
    """Every view this agent has, with its count."""
    authorize(actor, "conversations.read")
    out = [ViewCount(k, t, queries.inbox_count(session, _filter(actor, k, None))) for k, t in BUILT_IN.items()]
    for saved in queries.saved_views(session, actor.id):
        out.append(ViewCount(f"saved-{saved.id}", saved.name, queries.inbox_count(session, _filter(actor, "", saved))))
    return out


@dataclass(frozen=True)
class Choices:
    """What the inbox's forms offer: agents (bulk assign), teams and inboxes (saved view filters), statuses."""

    agents: list
    teams: list
    inboxes: list
    statuses: list[str]


def choices(session: Session, actor: Actor) -> Choices:
    """The options of the inbox page's forms."""
    authorize(actor, "conversations.read")
    return Choices(
        [a for a in agents.all_agents(session) if a.active],
        agents.all_teams(session),
        inboxes.all_(session),
        [s.value for s in Status],
    )


def clean_filters(raw: dict[str, str]) -> dict:
    """Validated filters of a saved view; blank values are dropped, a wrong one is named."""
    out: dict = {}
    allowed = {"status": Status, "channel": Channel, "priority": Priority}
    for key in FILTER_KEYS:
        value = (raw.get(key) or "").strip()
        if not value:
            continue
        if key in allowed and value not in {m.value for m in allowed[key]}:
            choices = ", ".join(m.value for m in allowed[key])
            raise Invalid(f"{key} must be one of {choices}.", errors=[{"field": key, "message": "not a choice"}])
        if key in ("inbox_id", "team_id"):
            if not value.isdigit():
                raise Invalid(f"Choose a {key[:-3]} from the list.", errors=[{"field": key}])
            out[key] = int(value)
        else:
            out[key] = value[:100]
    return out


def save_view(session: Session, actor: Actor, *, name: str, filters: dict[str, str]) -> SavedView:
    """Save a custom view for this agent."""
    authorize(actor, "conversations.read")
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid("Give the view a name of 1 to 100 characters.", errors=[{"field": "name"}])
    if any(v.name == name for v in queries.saved_views(session, actor.id)):
        raise Conflict(f"You already have a view named '{name}'; choose another name.")
    row = SavedView(agent_id=actor.id, name=name, filters=clean_filters(filters), created_at=now())
    session.add(row)
    session.flush()
    return row


def delete_view(session: Session, actor: Actor, view_id: int) -> None:
    """Delete one of this agent's saved views."""
    row = queries.saved_view(session, actor.id, view_id)
    if row is None:
        raise NotFound(f"You have no saved view {view_id}.")
    session.delete(row)


def bulk(session: Session, actor: Actor, ids: list[int], *, action: str, value: str) -> int:
    """Assign, tag or set the status of several conversations at once; all or nothing."""
    if not ids:
        raise Invalid("Select at least one conversation first (x or the checkboxes).", errors=[{"field": "ids"}])
    if action == "assign":
        changes = service.Changes(assignee_id=int(value) if value.isdigit() else None)
    elif action == "tag":
        if not value.strip():
            raise Invalid("Type the tag to add.", errors=[{"field": "value"}])
        changes = service.Changes(add_tags=[value.strip()])
    elif action == "status":
        if value not in {s.value for s in Status}:
            raise Invalid("Choose a status.", errors=[{"field": "value"}])
        changes = service.Changes(status=Status(value))
    else:
        raise Invalid("Choose assign, tag or status.", errors=[{"field": "action"}])
    for conversation_id in ids[:PAGE_SIZE]:
        service.update(session, actor, conversation_id, changes)
    return min(len(ids), PAGE_SIZE)
