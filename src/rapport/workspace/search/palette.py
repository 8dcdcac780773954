"""The command palette (Ctrl+K): one box that jumps to a conversation by number, a customer, a view, a page or an
action, whatever page the agent is on. Each source is cheap (a primary key, the customer index, the agent's own
views, the menu), so it answers as the agent types."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rapport.conversations import workspace_repository as queries
from rapport.kernel.permissions import Actor
from rapport.kit.problems import Invalid
from rapport.models import Conversation, Customer
from rapport.search import service
from rapport.web.pages import nav_for
from rapport.workspace.conversations import inbox

MAX_QUERY = 200
PER_KIND = 5
NUMBER = re.compile(r"#?(\d{1,18})")
# Actions: what an agent does often from anywhere, each a page that does it (nothing changes on a click alone).
ACTIONS = (
    ("Search conversations, messages and customers", "/search", "conversations.read"),
    ("My profile", "/profile", "conversations.read"),
    ("Set my availability", "/profile#availability", "conversations.read"),
    ("Change my password", "/profile#password", "conversations.read"),
    ("Keyboard shortcuts", "#shortcuts", "conversations.read"),
    ("Add an agent", "/admin/agents/new", "admin"),
    ("Create an API token", "/admin/tokens", "admin"),
)


@dataclass(frozen=True)
class Entry:
    """One result: what it is (`kind`), its label, a line of detail and where it goes."""

    kind: str
    label: str
    detail: str
    href: str


def entries(session: Session, actor: Actor, q: str) -> list[Entry]:
    """What `q` may mean, most specific first: a conversation number, customers, views, pages, actions."""
    q = " ".join(q.split())
    if len(q) > MAX_QUERY:
        raise Invalid(f"Type at most {MAX_QUERY} characters.", errors=[{"field": "q"}])
    found = _conversation(session, actor, q)
    found += _customers(session, actor, q)
    found += _views(session, actor, q)
    found += _pages(actor, q)
    found += [Entry("action", label, "", href) for label, href, perm in ACTIONS if actor.can(perm) and _has(label, q)]
    return found


def _has(text: str, q: str) -> bool:
    return all(word in text.lower() for word in q.lower().split())


def _conversation(session: Session, actor: Actor, q: str) -> list[Entry]:
    match = NUMBER.fullmatch(q)
    if not match or not actor.can("conversations.read") or int(match.group(1)) >= 2**63:
        return []
    conv = session.get(Conversation, int(match.group(1)))
    if conv is None:
        return []
    customer = session.get(Customer, conv.customer_id)
    who = (customer.name if customer else None) or "Unknown customer"
    return [Entry("conversation", f"#{conv.id} {conv.subject or '(no subject)'}", f"{who} · {conv.status}",
                  f"/conversations/{conv.id}")]  # fmt: skip


def _customers(session: Session, actor: Actor, q: str) -> list[Entry]:
    if len(q) < 2 or NUMBER.fullmatch(q) or not actor.can("customers.read"):
        return []
    hits = service.search(session, actor, q=q, kinds=["customers"], limit=PER_KIND).items
    return [Entry("customer", h.name or "Unnamed customer", _plain(h.snippet), f"/customers/{h.id}") for h in hits]


def _views(session: Session, actor: Actor, q: str) -> list[Entry]:
    if not actor.can("conversations.read"):
        return []
    views = list(inbox.BUILT_IN.items()) + [(f"saved-{v.id}", v.name) for v in queries.saved_views(session, actor.id)]
    return [Entry("view", title, "Inbox view", f"/inbox/{key}") for key, title in views if _has(title, q)][:PER_KIND]


def _pages(actor: Actor, q: str) -> list[Entry]:
    pages = nav_for(actor) + nav_for(actor, "admin")
    return [Entry("page", e.label, e.description, e.href) for e in pages if _has(e.label, q)][:PER_KIND]


def _plain(snippet: str) -> str:
    return re.sub(r"</?mark>", "", snippet)
