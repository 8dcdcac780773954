"""Inbox views for the workspace: the built-in views, an agent's saved views, counts, bulk changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.conditions import saved as saved_views
from rapport.config import get_settings
from rapport.conversations import repository, service
from rapport.conversations import workspace_repository as queries
from rapport.conversations.workspace_repository import InboxQuery, Keyset
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import cursor
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import SavedView
from rapport.models.enums import Status
from rapport.sla import repository as clocks
from rapport.sla.present import DueCell, due_cell

BUILT_IN = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "teams": "My teams",
    "all": "All active",
    "waiting": "Waiting longest",
    "due": "Due soon",
    "snoozed": "Snoozed",
}
EMPTY = {
    "mine": "Nothing is assigned to you. Pick a conversation from Unassigned or Waiting longest.",
    "unassigned": "Every open conversation has an owner. Check Waiting longest for customers who wrote last.",
    "teams": "Your teams have no open conversations (or you are in no team: an admin adds you to one).",
    "all": "No open conversations. New messages appear here as soon as they arrive.",
    "waiting": "No customer is waiting for an answer right now.",
    "due": "No open conversation has a service target running. Deadlines appear here, the nearest first.",
    "snoozed": "Nothing is snoozed. Snooze a conversation from its page to set it aside until a time you choose.",
}
SORTS = {"updated": "Last updated", "created": "Newest first", "due": "Due first", "priority": "Priority"}
# Views whose order is their point: the agent's sort does not apply to them.
FIXED_ORDER = frozenset({"waiting", "due_soon", "snoozed"})
RANKS = repository.RANKS  # priorities by rank, as the priority index ranks them
SEGMENT_CHOICES = 100  # segments offered in the saved-view form


@dataclass
class View:
    """One page of a view: its rows and their tags, the cursors of the pages either side (None at an end), the
    query that reached it (its live refresh reads the same page), and what to say when it is empty."""

    key: str
    title: str
    rows: list[Row]
    tags: dict[int, list[str]]
    older: str | None
    newer: str | None
    position: str
    empty: str
    filters: dict = field(default_factory=dict)
    lines: dict[int, Line] = field(default_factory=dict)
    sort: str = "updated"
    due: dict[int, DueCell] = field(default_factory=dict)

    @property
    def query(self) -> str:
        """This page's query string (sort and position), for its live refresh."""
        return "&".join(p for p in (f"sort={self.sort}" if self.sort != "updated" else "", self.position) if p)


@dataclass(frozen=True)
class Line:
    """What a list row says beside the customer: the subject (the first message's first line when the channel
    has none, such as chat or SMS) and a preview of the latest message with who wrote it."""

    subject: str
    derived: bool
    preview: str
    by: str


SUBJECT_CHARS = 90
PREVIEW_CHARS = 140


def _one_line(text: str | None, limit: int) -> str:
    words = " ".join((text or "").split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def lines_for(session: Session, rows: list[Row]) -> dict[int, Line]:
    """The subject and latest-message preview of each listed conversation (the first message is read only for
    conversations without a subject)."""
    latest = queries.latest_messages(session, [r.id for r in rows])
    first = queries.first_messages(session, [r.id for r in rows if not r.subject])
    out = {}
    for r in rows:
        subject, derived = r.subject or "", False
        opening = first.get(r.id)
        if not subject and opening is not None and opening.text:
            subject, derived = _one_line(opening.text.strip().split("\n", 1)[0], SUBJECT_CHARS), True
        last, by = latest.get(r.id), ""
        if last is not None and last.direction != "inbound":
            by = "Note" if last.direction == "note" else last.agent_name or "Reply"
        out[r.id] = Line(subject, derived, _one_line(last.text if last else "", PREVIEW_CHARS), by)
    return out


@dataclass(frozen=True)
class ViewCount:
    """A view in the sidebar with how many conversations it holds; `more` when that is a lower bound ("999+")."""

    key: str
    title: str
    count: int
    more: bool = False

    @property
    def label(self) -> str:
        """The count as shown."""
        return f"{self.count}+" if self.more else str(self.count)


def _filter(actor: Actor, key: str, saved: SavedView | None) -> InboxQuery:
    if saved is not None:
        return InboxQuery(saved_views.condition_of(saved.filters))
    condition, order = saved_views.built_in(key, agent_id=actor.id, team_ids=sorted(actor.team_ids))
    return InboxQuery(condition, order)


def _resolve(session: Session, actor: Actor, key: str) -> tuple[str, InboxQuery, SavedView | None]:
    if key in BUILT_IN:
        return BUILT_IN[key], _filter(actor, key, None), None
    if key.startswith("saved-") and key[6:].isdigit():
        saved = queries.saved_view(session, actor.id, int(key[6:]))
        if saved is not None:
            return saved.name, _filter(actor, key, saved), saved
    raise NotFound(f"There is no inbox view '{key}'. Pick one from the list on the left.")


def _kind(flt: InboxQuery) -> str:
    return flt.order


def _cursor(flt: InboxQuery, row: Row) -> str:
    value = {
        "waiting": row.last_inbound_at,
        "created": row.created_at,
        "due": row.sla_due_at,
        "due_soon": row.sla_due_at,
        "snoozed": row.snoozed_until,
    }.get(_kind(flt), row.updated_at)
    if _kind(flt) == "due" and value is None:  # past the deadlines: the rest go by last update
        return cursor.encode(["due", None, row.id, row.updated_at.isoformat()])
    rank = [RANKS.get(row.priority, 0)] if _kind(flt) == "priority" else []
    return cursor.encode([_kind(flt), value.isoformat(), row.id, *rank])


def _keyset(flt: InboxQuery, raw: str, *, newer: bool) -> Keyset:
    try:
        kind, value, last_id, *rest = cursor.decode(raw)
        if kind != _kind(flt):
            raise ValueError(kind)
        if value is None:  # sort by due, past the deadlines: where among the rest, by last update
            if kind != "due" or len(rest) != 1:
                raise ValueError(value)
            return Keyset(None, int(last_id), newer=newer, updated=datetime.fromisoformat(rest[0]))
        if len(rest) != (kind == "priority") or (rest and rest[0] not in RANKS.values()):
            raise ValueError(rest)
        return Keyset(datetime.fromisoformat(value), int(last_id), newer=newer, rank=rest[0] if rest else None)
    except (ValueError, TypeError) as exc:
        raise Invalid(
            "This page link is out of date; start again from the view's first page.",
            errors=[{"field": "before" if newer else "after"}],
        ) from exc


def view(
    session: Session,
    actor: Actor,
    key: str,
    *,
    after: str | None = None,
    before: str | None = None,
    sort: str = "updated",
    tz: str | None = None,
) -> View:
    """One page of a view (built-in or saved by this agent): the first, or the one after or before a cursor;
    newest first by last update or by creation, the nearest deadline first, or urgent first (`sort`); deadlines in
    `tz`. Snoozed conversations are only in the Snoozed view."""
    authorize(actor, "conversations.read")
    if sort not in SORTS:
        raise Invalid(f"Sort by {', '.join(SORTS)}.", errors=[{"field": "sort"}])
    title, flt, saved = _resolve(session, actor, key)
    if flt.order not in FIXED_ORDER:
        flt.order = sort
    start = _keyset(flt, before, newer=True) if before else _keyset(flt, after, newer=False) if after else None
    size = get_settings().inbox_page_size
    rows = queries.inbox_page(session, flt, limit=size + 1, start=start)
    beyond = len(rows) > size  # one more row on the side the page was read towards
    if start is not None and start.newer:
        rows = rows[1:] if beyond else rows
        older, newer = (_cursor(flt, rows[-1]) if rows else None), (_cursor(flt, rows[0]) if beyond else None)
    else:
        rows = rows[:size]
        older = _cursor(flt, rows[-1]) if beyond else None
        newer = _cursor(flt, rows[0]) if start is not None and rows else None
    position = f"before={before}" if before else f"after={after}" if after else ""
    empty = EMPTY.get(key, "Nothing matches this view's filters. Edit or delete the view, or try All.")
    if start is not None and not rows:
        empty = "No more conversations this way. Go back to the view's first page."
    return View(
        key,
        title,
        rows,
        repository.tags_for(session, [r.id for r in rows]),
        older,
        newer,
        position,
        empty,
        saved.filters if saved else {},
        lines_for(session, rows),
        "updated" if flt.order in FIXED_ORDER else sort,
        due_cells(session, rows, tz=tz),
    )


def due_cells(session: Session, rows: list[Row], *, tz: str | None) -> dict[int, DueCell]:
    """The Due column: each listed conversation's nearest deadline, how near, and whether its warning has come."""
    timed = [r.id for r in rows if r.sla_due_at is not None]
    warnings = clocks.warn_times(session, timed)
    at = now()
    cells = {r.id: due_cell(r.sla_due_at, warnings.get(r.id), now=at, tz=tz) for r in rows}
    return {k: cell for k, cell in cells.items() if cell is not None}


def counts(session: Session, actor: Actor) -> list[ViewCount]:
    """Every view this agent has, with its count (RAPPORT_INBOX_COUNT_CAP, RAPPORT_INBOX_COUNT_SCAN bound them)."""
    authorize(actor, "conversations.read")
    settings = get_settings()
    wanted = [(k, t, _filter(actor, k, None)) for k, t in BUILT_IN.items()]
    wanted += [(f"saved-{v.id}", v.name, _filter(actor, "", v)) for v in queries.saved_views(session, actor.id)]
    found = queries.inbox_counts(
        session, [f for _, _, f in wanted], cap=settings.inbox_count_cap, scan=settings.inbox_count_scan
    )
    return [ViewCount(key, title, n, more) for (key, title, _), (n, more) in zip(wanted, found, strict=True)]


@dataclass(frozen=True)
class Choices:
    """What the inbox's forms offer: agents (bulk assign), teams and inboxes (saved view filters), statuses."""

    agents: list
    teams: list
    inboxes: list
    statuses: list[str]
    segments: list[str]
    categories: list = field(default_factory=list)


def choices(session: Session, actor: Actor) -> Choices:
    """The options of the inbox page's forms."""
    authorize(actor, "conversations.read")
    return Choices(
        [a for a in queries.agent_rows(session) if a.active],
        queries.team_rows(session),
        queries.inbox_rows(session),
        [s.value for s in Status],
        queries.segments(session, limit=SEGMENT_CHOICES),
        categories.listed(session, active_only=True),
    )


def clean_filters(raw: dict[str, str]) -> dict:
    """The condition a saved-view form asks for (conditions/saved.py); a wrong value is named."""
    return saved_views.from_form(raw)


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
    size = get_settings().inbox_page_size
    for conversation_id in ids[:size]:
        service.update(session, actor, conversation_id, changes)
    return min(len(ids), size)
