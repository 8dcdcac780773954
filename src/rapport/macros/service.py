"""Macros: keep them (personal ones by their owner, team and shared ones by supervisors and admins), list what an
agent may use, and their measures. Previewing and applying one to a conversation is macros/apply.py.

A macro is checked when saved (its placeholders, the team, agent, category and custom fields it names, the
configured limits) and its references again when applied, since a team or field may have gone in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.config import get_settings
from rapport.conversations.fields import check_values, definitions
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.macros import events, placeholders, repository
from rapport.macros.schemas import MacroChanges
from rapport.models import Agent, Macro, MacroUsage, Team

VISIBILITIES = ("personal", "team", "shared")
SETTABLE = ("open", "pending", "on_hold", "solved")  # the statuses an agent moves a conversation to


@dataclass
class Measures:
    """How a macro did (see repository.measures)."""

    macro_id: int
    uses: int = 0
    conversations: int = 0
    reopened: int = 0
    reopen_days: int = 7
    last_used_at: datetime | None = None

    @property
    def reopen_rate(self) -> float | None:
        """The share of uses followed by a reopen within the window (None before any use)."""
        return round(self.reopened / self.uses, 4) if self.uses else None


def get(session: Session, actor: Actor, macro_id: int) -> Macro:
    """A macro `actor` may see; NotFound otherwise (another agent's personal macro is not said to exist)."""
    authorize(actor, "conversations.read")
    row = repository.one(session, actor, macro_id)
    if row is None:
        raise NotFound(f"There is no macro {macro_id}.")
    return row


def usable(session: Session, actor: Actor) -> list[Macro]:
    """The macros `actor` may use, by name (at most RAPPORT_MACRO_MAX_COUNT of each kind)."""
    authorize(actor, "conversations.read")
    return repository.listed(session, actor, limit=3 * get_settings().macro_max_count)


def measures(session: Session, macros: list[Macro]) -> dict[int, Measures]:
    """Each macro's measures by id (zeros for a macro never used)."""
    days = get_settings().macro_reopen_days
    found = repository.measures(session, [m.id for m in macros])
    return {m.id: Measures(m.id, reopen_days=days, **found.get(m.id, {})) for m in macros}


def may_manage(actor: Actor, macro: Macro) -> bool:
    """Whether `actor` may change or delete `macro`: its owner for a personal one, else supervisors and admins."""
    if macro.visibility == "personal":
        return actor.kind == "agent" and macro.owner_id == actor.id
    return actor.can("macros.manage")


def _manage(actor: Actor, macro: Macro) -> None:
    if macro.visibility == "personal":
        if not may_manage(actor, macro):
            raise NotFound(f"There is no macro {macro.id}.")  # someone else's personal macro: never shown
        return
    authorize(actor, "macros.manage")


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise Invalid("Give the macro a name of 1 to 100 characters.", errors=[{"field": "name"}])
    return name


def _text(text: str, where: str, field_keys: list[str]) -> str:
    text = (text or "").strip()
    cap = get_settings().macro_max_chars
    if len(text) > cap:
        message = f"Keep the {where} to {cap} characters (RAPPORT_MACRO_MAX_CHARS)."
        raise Invalid(message, errors=[{"field": where, "message": message}])
    placeholders.check(text, where=where, field_keys=field_keys)
    return text


def _tag(tag: str) -> str:
    value = tag.strip().lower().replace(" ", "-")
    if not value or len(value) > 64:
        raise Invalid(f"Tag '{tag[:64]}' must be 1 to 64 characters.", errors=[{"field": "changes.add_tags"}])
    return value


def _prefixed(exc: Invalid, prefix: str) -> Invalid:
    errors = [{**e, "field": f"{prefix}{e.get('field') or ''}"} for e in exc.extra.get("errors") or []]
    return Invalid(exc.detail, errors=errors or [{"field": prefix.rstrip(".")}])


def checked_changes(session: Session, raw: Any) -> dict:
    """A macro's changes validated against what exists now, as stored; Invalid naming `changes.<field>`."""
    try:
        changes = raw if isinstance(raw, MacroChanges) else MacroChanges.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "changes." + ".".join(str(p) for p in first["loc"])
        raise Invalid(f"{where}: {first['msg']}", errors=[{"field": where, "message": first["msg"]}]) from None
    if changes.status is not None and changes.status.value not in SETTABLE:
        message = f"A macro sets the status to {', '.join(SETTABLE)} (a solved conversation closes by itself)."
        raise Invalid(message, errors=[{"field": "changes.status", "message": message}])
    if changes.team_id is not None and session.get(Team, changes.team_id) is None:
        message = f"There is no team {changes.team_id} to move conversations to (was it deleted?)."
        raise Invalid(message, errors=[{"field": "changes.team_id", "message": message}])
    if changes.assignee_id is not None:
        agent = session.get(Agent, changes.assignee_id)
        if agent is None or not agent.active:
            message = f"There is no active agent {changes.assignee_id} to assign."
            raise Invalid(message, errors=[{"field": "changes.assignee_id", "message": message}])
        if changes.assign_to_me:
            message = "Assign to one agent or to whoever applies the macro, not both."
            raise Invalid(message, errors=[{"field": "changes.assignee_id", "message": message}])
    cap = get_settings().macro_max_tags
    if len(changes.add_tags) + len(changes.remove_tags) > cap:
        message = f"A macro changes at most {cap} tags (RAPPORT_MACRO_MAX_TAGS)."
        raise Invalid(message, errors=[{"field": "changes.add_tags", "message": message}])
    add = sorted({_tag(t) for t in changes.add_tags})
    remove = sorted({_tag(t) for t in changes.remove_tags})
    if set(add) & set(remove):
        message = f"A macro cannot both add and remove the tag '{sorted(set(add) & set(remove))[0]}'."
        raise Invalid(message, errors=[{"field": "changes.remove_tags", "message": message}])
    if changes.category is not None:
        try:
            categories.resolve(session, changes.category)
        except Invalid as exc:
            raise _prefixed(exc, "changes.") from None
    if changes.fields:
        try:
            check_values(session, changes.fields)
        except Invalid as exc:
            raise _prefixed(exc, "changes.") from None
    stored = changes.model_dump(mode="json", exclude_defaults=True)
    if add:
        stored["add_tags"] = add
    if remove:
        stored["remove_tags"] = remove
    return stored


def _place(session: Session, actor: Actor, visibility: str, team_id: int | None) -> tuple[int | None, int | None]:
    """(owner, team) of a macro kept in `visibility`, with the right to keep it there checked."""
    if visibility not in VISIBILITIES:
        raise Invalid(f"Visibility is one of {', '.join(VISIBILITIES)}.", errors=[{"field": "visibility"}])
    if visibility == "personal":
        authorize(actor, "conversations.write")
        if actor.kind != "agent":
            raise Invalid("A personal macro belongs to an agent.", errors=[{"field": "visibility"}])
        return actor.id, None
    authorize(actor, "macros.manage")
    if visibility == "shared":
        return None, None
    if team_id is None:
        raise Invalid("Choose the team whose members use this macro.", errors=[{"field": "team_id"}])
    if session.get(Team, team_id) is None:
        raise Invalid(f"There is no team {team_id} (was it deleted?).", errors=[{"field": "team_id"}])
    return None, team_id


def _check_room(session: Session, visibility: str, owner_id: int | None) -> None:
    cap = get_settings().macro_max_count
    have = repository.count_personal(session, owner_id) if owner_id else repository.count_common(session)
    if have >= cap:
        where = "personal macros per agent" if owner_id else "team and shared macros"
        raise Conflict(f"There can be at most {cap} {where} (RAPPORT_MACRO_MAX_COUNT); delete one first.")


def _unique(session: Session, name: str, visibility: str, owner_id, team_id, macro_id: int | None = None) -> None:
    same = repository.same_name(session, name, visibility=visibility, owner_id=owner_id, team_id=team_id)
    if same is not None and same.id != macro_id:
        raise Conflict(f"There is already a macro named '{same.name}' there.", errors=[{"field": "name"}])


def _something(body: str, note: str, changes: dict) -> None:
    if not (body or note or changes):
        raise Invalid("A macro needs a reply, an internal note or a change to make.", errors=[{"field": "body"}])


def create(
    session: Session,
    actor: Actor,
    *,
    name: str,
    visibility: str = "personal",
    team_id: int | None = None,
    body: str = "",
    note: str = "",
    changes: Any = None,
) -> Macro:
    """A new macro; every part is checked before anything is written."""
    owner_id, team_id = _place(session, actor, visibility, team_id)
    name = _name(name)
    keys = [d.key for d in definitions(session)]
    body, note = _text(body, "body", keys), _text(note, "note", keys)
    stored = checked_changes(session, changes)
    _something(body, note, stored)
    _unique(session, name, visibility, owner_id, team_id)
    _check_room(session, visibility, owner_id)
    stamp = now()
    row = Macro(
        name=name, visibility=visibility, owner_id=owner_id, team_id=team_id, body=body, note=note, changes=stored,
        created_by_id=actor.id if actor.kind == "agent" else None, created_at=stamp, updated_at=stamp,
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(session, events.CREATED.name, actor, object="macro", object_id=row.id, fields={"name": name})
    return row


_MISSING = object()


def update(
    session: Session,
    actor: Actor,
    macro_id: int,
    *,
    name: Any = _MISSING,
    visibility: Any = _MISSING,
    team_id: Any = _MISSING,
    body: Any = _MISSING,
    note: Any = _MISSING,
    changes: Any = _MISSING,
) -> Macro:
    """Change a macro (what is not given stays); moving it to another place needs the right to keep it there."""
    row = get(session, actor, macro_id)
    _manage(actor, row)
    keys = [d.key for d in definitions(session)]
    wanted = {
        "name": row.name if name is _MISSING else _name(name),
        "body": row.body if body is _MISSING else _text(body, "body", keys),
        "note": row.note if note is _MISSING else _text(note, "note", keys),
        "changes": row.changes if changes is _MISSING else checked_changes(session, changes),
    }
    place = row.visibility if visibility is _MISSING else visibility
    team = (row.team_id if team_id is _MISSING or team_id is None else team_id) if place == "team" else None
    moved = place != row.visibility or (place == "team" and team != row.team_id)
    owner_id, team = _place(session, actor, place, team) if moved else (row.owner_id, row.team_id)
    _something(wanted["body"], wanted["note"], wanted["changes"])
    _unique(session, wanted["name"], place, owner_id, team, row.id)
    if moved and place != row.visibility and (place == "personal" or row.visibility == "personal"):
        _check_room(session, place, owner_id)
    changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
    if moved:
        changed |= {"visibility": place, "owner_id": owner_id, "team_id": team}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        row.updated_at = now()
        session.flush()
        said = {k: v for k, v in changed.items() if k in ("name", "visibility", "team_id")}
        record(session, events.UPDATED.name, actor, object="macro", object_id=row.id, fields=said or {"name": row.name})
    return row


def delete(session: Session, actor: Actor, macro_id: int) -> None:
    """Delete a macro (its uses go with it; the conversations' timelines keep what it did)."""
    row = get(session, actor, macro_id)
    _manage(actor, row)
    name = row.name
    session.execute(sql_delete(MacroUsage).where(MacroUsage.macro_id == row.id))  # whatever SQLite's FK pragma says
    session.delete(row)
    session.flush()
    record(session, events.DELETED.name, actor, object="macro", object_id=macro_id, fields={"name": name})
