"""REST routes for categories: everyone reads the list, admins keep it."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.categories import service
from rapport.categories.schemas import CategoryIn, CategoryOut, CategoryPatch
from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["configuration"])


@router.get("/categories", dependencies=[requires("read")], response_model=list[CategoryOut])
def list_categories(session: DB, actor: Me, active: bool | None = None):
    """Every category by name; `active=true` gives only those conversations can be filed under."""
    authorize(actor, "directory.read")
    rows = service.listed(session, active_only=bool(active))
    return [r for r in rows if active is None or r.active == active]


@router.post("/categories", dependencies=[requires("admin")], response_model=CategoryOut, status_code=201)
def create_category(body: CategoryIn, session: DB, actor: Me):
    """Add a category (admins)."""
    return service.create(session, actor, name=body.name, description=body.description)


@router.patch("/categories/{category_id}", dependencies=[requires("admin")], response_model=CategoryOut)
def patch_category(category_id: Id, body: CategoryPatch, session: DB, actor: Me):
    """Rename, describe, retire (`active: false`) or bring back a category (admins)."""
    return service.update(session, actor, category_id, **body.model_dump(exclude_unset=True))
