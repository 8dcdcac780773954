"""What each domain contributes, declared once in its own package and discovered, never listed centrally.

A package `rapport.<name>` (or an adapter `rapport.channels.<name>`) holding a `domain.py` that defines
`DOMAIN = Domain(...)` takes part. Routers are named as `"module:attribute"` and imported only by the part that
mounts them, so discovering the domains imports nothing but their `domain.py`.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import rapport


@dataclass(frozen=True)
class NavEntry:
    """One entry of the workspace menu: shown to agents holding `permission`.

    `section="main"` puts it in the top menu; `section="admin"` lists it on the admin pages (`/admin`).
    `visible`, when given, is asked at each render (e.g. a page that exists only while the demo runs).
    """

    key: str
    label: str
    href: str
    order: int = 100
    permission: str = "conversations.read"
    section: str = "main"
    description: str = ""
    visible: Callable[[], bool] | None = None


def admin(key: str, label: str, href: str, **options) -> NavEntry:
    """An entry of the admin pages' list (an admin section), shown to admins unless another permission is given."""
    options.setdefault("permission", "admin")
    return NavEntry(key, label, href, section="admin", **options)


@dataclass(frozen=True)
class Domain:
    """What one package adds to Rapport.

    `api_routers` are mounted under /api/v1, `routers` at the root (webhooks, the widget, the portal),
    `page_routers` are the workspace's pages. `workers` are modules that register job handlers, event consumers
    and periodic jobs when imported (the worker imports them); `channels` are modules that register a
    `ChannelAdapter` when imported; `lifecycle_hooks` are modules that register a conversation lifecycle hook
    (`conversations.lifecycle.hooks`) when imported, loaded by the lifecycle itself so every process has them.
    """

    name: str
    api_routers: tuple[str, ...] = ()
    routers: tuple[str, ...] = ()
    page_routers: tuple[str, ...] = ()
    navigation: tuple[NavEntry, ...] = ()
    admin_sections: tuple[NavEntry, ...] = ()
    workers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    lifecycle_hooks: tuple[str, ...] = ()


_DOMAINS: list[Domain] | None = None
_LOCK = threading.Lock()


def _domain_modules() -> Iterator[str]:
    # Looks at files, not imports: finding the domains runs no package's __init__ beyond those it then imports.
    root = Path(rapport.__file__).parent
    for info in sorted(pkgutil.iter_modules([str(root)]), key=lambda i: i.name):
        if not info.ispkg:
            continue
        if (root / info.name / "domain.py").is_file():
            yield f"rapport.{info.name}.domain"
        for sub in sorted(pkgutil.iter_modules([str(root / info.name)]), key=lambda i: i.name):
            if sub.ispkg and (root / info.name / sub.name / "domain.py").is_file():
                yield f"rapport.{info.name}.{sub.name}.domain"


def domains() -> list[Domain]:
    """Every declared domain, in package order (found once per process)."""
    global _DOMAINS
    if _DOMAINS is None:
        with _LOCK:
            if _DOMAINS is None:
                _DOMAINS = [importlib.import_module(name).DOMAIN for name in _domain_modules()]
    return _DOMAINS


def resolve(ref: str):
    """The object a `"module:attribute"` reference names (importing the module)."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute or "router")


def api_routers() -> list:
    """Every domain's API routers (mounted under /api/v1)."""
    return [resolve(ref) for d in domains() for ref in d.api_routers]


def routers() -> list:
    """Every domain's root routers (webhooks, the widget, the portal)."""
    return [resolve(ref) for d in domains() for ref in d.routers]


def page_routers() -> list:
    """Every domain's workspace page routers."""
    return [resolve(ref) for d in domains() for ref in d.page_routers]


def navigation() -> list[NavEntry]:
    """Every domain's menu entries and admin sections."""
    return [entry for d in domains() for entry in (*d.navigation, *d.admin_sections)]


def load_workers() -> None:
    """Import every module that registers job handlers, event consumers or periodic jobs."""
    for d in domains():
        for name in d.workers:
            importlib.import_module(name)


def load_channels() -> None:
    """Import every module that registers a channel adapter."""
    for d in domains():
        for name in d.channels:
            importlib.import_module(name)


def load_lifecycle_hooks() -> None:
    """Import every module that registers a conversation lifecycle hook."""
    for d in domains():
        for name in d.lifecycle_hooks:
            importlib.import_module(name)


def load_all() -> None:
    """Import everything every domain declares (routers, workers, channel adapters): all registrations are made."""
    api_routers(), routers(), page_routers()
    load_workers()
    load_channels()
    load_lifecycle_hooks()
