"""Categories: listing, adding and changing them (admins), and resolving a name given by an agent or a client."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.db.bulk import dialect_insert
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import Category

NAME_CHARS = 100
DESCRIPTION_CHARS = 500


def listed(session: Session, *, active_only: bool = False) -> list[Category]:
    """Every category by name (only those agents may still choose when `active_only`)."""
    query = select(Category).order_by(Category.name)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(session.scalars(query))


def get(session: Session, category_id: int) -> Category:
    """One category; NotFound when there is none."""
    row = session.get(Category, category_id)
    if row is None:
        raise NotFound(f"There is no category {category_id}.")
    return row


def by_name(session: Session, name: str) -> Category | None:
    """The category of this name, whatever its case."""
    return session.scalar(select(Category).where(func.lower(Category.name) == name.strip().lower()))


def names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these categories by id, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Category.id, Category.name).where(Category.id.in_(wanted))).all())


def resolve(session: Session, name: str | None, *, current: int | None = None) -> int | None:
    """The id of the category a conversation is being filed under by name (None clears it); a name that is not
    on the list, or is retired (unless it is the conversation's `current` one), is refused and named."""
    if name is None or not name.strip():
        return None
    row = by_name(session, name)
    if row is None or not (row.active or row.id == current):
        state = "is retired" if row is not None else "is not on the list"
        raise Invalid(
            f"The category '{name.strip()[:NAME_CHARS]}' {state}; choose one of the categories an admin keeps "
            "(GET /api/v1/categories).",
            errors=[{"field": "category", "message": "not a category"}],
        )
    return row.id


def ensure(session: Session, wanted: Iterable[str]) -> dict[str, int]:
    """Ids of these category names (by lower-cased name), adding the missing ones: an import brings its own list."""
    found = {c.name.lower(): c.id for c in listed(session)}
    missing = {n.strip()[:NAME_CHARS] for n in wanted if n and n.strip()}
    missing = sorted(n for n in missing if n.lower() not in found)
    if missing:
        # Import batches are written in parallel: another may add the same name first. Its row wins, whole;
        # this batch then files under it (a failed insert would roll the whole batch back).
        stmt = dialect_insert(session, Category.__table__).values(
            [{"name": n, "description": "", "active": True, "created_at": now()} for n in missing]
        )
        session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        rows = session.execute(select(Category.name, Category.id).where(Category.name.in_(missing)))
        found |= {name.lower(): category_id for name, category_id in rows}
    return found


def _checked(name: str | None, description: str | None) -> tuple[str | None, str | None]:
    if name is not None:
        name = name.strip()
        if not name or len(name) > NAME_CHARS:
            raise Invalid(f"Give the category a name of 1 to {NAME_CHARS} characters.", errors=[{"field": "name"}])
    if description is not None:
        description = description.strip()
        if len(description) > DESCRIPTION_CHARS:
            raise Invalid(f"Keep the description to {DESCRIPTION_CHARS} characters.", errors=[{"field": "description"}])
    return name, description


def _unique(session: Session, name: str, category_id: int | None = None) -> None:
    same = by_name(session, name)
    if same is not None and same.id != category_id:
        raise Conflict(f"There is already a category named '{same.name}'.", errors=[{"field": "name"}])


def create(session: Session, actor: Actor, *, name: str, description: str = "") -> Category:
    """A new category agents can file conversations under."""
    authorize(actor, "admin")
    name, description = _checked(name, description)
    _unique(session, name)
    row = Category(name=name, description=description or "", active=True, created_at=now())
    session.add(row)
    session.flush()
    return row


def update(
    session: Session,
    actor: Actor,
    category_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> Category:
    """Rename, describe, retire or bring back a category (conversations filed under it keep it)."""
    authorize(actor, "admin")
    row = get(session, category_id)
    name, description = _checked(name, description)
    if name is not None:
        _unique(session, name, row.id)
        row.name = name
    if description is not None:
        row.description = description
    if active is not None:
        row.active = active
    session.flush()
    return row
