"""Every query of the macros domain: which macros an agent sees, and each macro's measures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, exists, false, func, or_, select, text
from sqlalchemy.orm import Session

from rapport.kernel.permissions import Actor
from rapport.models import Event, Macro, MacroUsage
from rapport.models.events import REOPENED_SQL


def visible(actor: Actor):
    """The condition on `macros` for what `actor` may see and use: shared ones, their own personal ones, and team
    ones of their teams (supervisors and admins see every team's, to keep them)."""
    if actor.kind == "system":
        return Macro.id.is_not(None)
    mine = and_(Macro.visibility == "personal", Macro.owner_id == actor.id)
    if actor.can("macros.manage"):
        teams = Macro.visibility == "team"
    elif actor.team_ids:
        teams = and_(Macro.visibility == "team", Macro.team_id.in_(sorted(actor.team_ids)))
    else:
        teams = false()
    return or_(Macro.visibility == "shared", mine, teams)


def listed(session: Session, actor: Actor, *, limit: int) -> list[Macro]:
    """The macros `actor` sees, by name."""
    query = select(Macro).where(visible(actor)).order_by(func.lower(Macro.name), Macro.id).limit(limit)
    return list(session.scalars(query))


def one(session: Session, actor: Actor, macro_id: int) -> Macro | None:
    """One macro if `actor` sees it."""
    return session.scalar(select(Macro).where(Macro.id == macro_id, visible(actor)))


def count_personal(session: Session, owner_id: int) -> int:
    """How many personal macros an agent keeps."""
    query = select(func.count()).where(Macro.visibility == "personal", Macro.owner_id == owner_id)
    return session.scalar(query.select_from(Macro)) or 0


def count_common(session: Session) -> int:
    """How many team and shared macros there are."""
    return session.scalar(select(func.count()).select_from(Macro).where(Macro.visibility != "personal")) or 0


def same_name(session: Session, name: str, *, visibility: str, owner_id: int | None, team_id: int | None):
    """A macro of the same name (case aside) in the same place (one owner's, one team's, or the shared ones)."""
    query = select(Macro).where(func.lower(Macro.name) == name.lower(), Macro.visibility == visibility)
    if visibility == "personal":
        query = query.where(Macro.owner_id == owner_id)
    elif visibility == "team":
        query = query.where(Macro.team_id == team_id)
    return session.scalar(query.limit(1))


def measures(session: Session, macro_ids: list[int], *, since: datetime | None = None) -> dict[int, dict]:
    """Per macro: uses, distinct conversations, uses followed by a reopen of their conversation within the window
    stored with the use, and the latest use (one grouped query over ix_macro_usages_macro; each reopen check is a
    lookup in ix_events_reopened, whose predicate the query repeats literally so both databases use it)."""
    if not macro_ids:
        return {}
    reopened = exists().where(
        Event.conversation_id == MacroUsage.conversation_id,
        text(f"events.{REOPENED_SQL}"),
        Event.occurred_at > MacroUsage.applied_at,
        Event.occurred_at <= MacroUsage.reopen_until,
    )
    query = (
        select(
            MacroUsage.macro_id,
            func.count(),
            func.count(func.distinct(MacroUsage.conversation_id)),
            func.sum(case((reopened, 1), else_=0)),
            func.max(MacroUsage.applied_at),
        )
        .where(MacroUsage.macro_id.in_(macro_ids))
        .group_by(MacroUsage.macro_id)
    )
    if since is not None:
        query = query.where(MacroUsage.applied_at >= since)
    return {
        macro_id: {"uses": uses, "conversations": convs, "reopened": int(reopens or 0), "last_used_at": last}
        for macro_id, uses, convs, reopens, last in session.execute(query)
    }
