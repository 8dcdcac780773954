"""Domains declare what they add (domain.py) and create_app mounts what is declared: no central list."""

from __future__ import annotations

import subprocess
import sys

from fastapi import APIRouter

from rapport.app import create_app
from rapport.kernel import registry
from rapport.kernel.permissions import Actor
from rapport.kernel.registry import Domain, NavEntry
from rapport.models.enums import Role
from rapport.web.deps import PUBLIC, requires
from rapport.web.pages import nav_for

router = APIRouter()


@router.get("/zz-probe", dependencies=[requires(PUBLIC)])
def probe() -> dict:
    return {"mounted": True}


def test_discovery_finds_top_level_domains_and_channel_adapters():
    names = [d.name for d in registry.domains()]
    assert len(names) == len(set(names))
    assert {"agents", "conversations", "customers", "workspace", "channels.email", "channels.whatsapp"} <= set(names)


def test_discovery_imports_only_the_domain_declarations():
    code = (
        "import sys; from rapport.kernel import registry; registry.domains(); "
        "print(sorted(m for m in sys.modules if m.endswith(('.api', '.views'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "rapport.conversations.api" not in out and "rapport.workspace.conversations.views" not in out


def test_a_new_domain_is_mounted_and_listed_without_touching_the_app(db, settings, client):
    extra = Domain(
        "zz",
        api_routers=(f"{__name__}:router",),
        navigation=(NavEntry("zz.menu", "ZZ", "/zz", order=5),),
        admin_sections=(registry.admin("zz.admin", "ZZ admin", "/admin/zz"),),
    )
    registry.domains().append(extra)
    try:
        app = create_app(settings, db=db, run_worker=False)
        from fastapi.testclient import TestClient

        with TestClient(app) as c:
            assert c.get("/api/v1/zz-probe").json() == {"mounted": True}
        admin = Actor(kind="agent", id=1, role=Role.admin)
        assert "zz.menu" in [e.key for e in nav_for(admin)]
        assert "zz.admin" in [e.key for e in nav_for(admin, "admin")]
        assert "zz.admin" not in [e.key for e in nav_for(Actor(kind="agent", id=2, role=Role.agent), "admin")]
    finally:
        registry.domains().remove(extra)
    assert client.get("/api/v1/zz-probe").status_code == 404  # the usual app never heard of it


def test_every_declared_reference_resolves():
    for d in registry.domains():
        for ref in (*d.api_routers, *d.routers, *d.page_routers):
            assert isinstance(registry.resolve(ref), APIRouter), (d.name, ref)
