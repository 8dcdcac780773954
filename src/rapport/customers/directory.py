"""The workspace's customer list: recently active customers, or the ones a search finds, with what agents scan for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.customers import repository
from rapport.customers.repository import Activity, Position
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import cursor as cursors
from rapport.kit.problems import Invalid
from rapport.models import Customer, Identity
from rapport.search import service as search

PAGE_SIZE = 50
# How each kind of identity is shown: an icon (decorative) and a label a screen reader and a newcomer can read.
IDENTITY_ICONS = {"email": "✉", "phone": "☎", "whatsapp": "🟢", "chat": "💬", "external": "🔗"}
IDENTITY_LABELS = {
    "email": "Email",
    "phone": "Phone",
    "whatsapp": "WhatsApp",
    "chat": "Chat visitor",
    "external": "External id",
}


@dataclass
class CustomerRow:
    """One customer in a list: the profile, identities, activity and (for a search) the highlighted match."""

    customer: Customer
    identities: list[Identity]
    activity: Activity
    snippet: Markup | str = ""


@dataclass
class Directory:
    """One page of the customer list: the query, the rows and the cursor of the next page (None at the end)."""

    q: str
    rows: list[CustomerRow]
    next_cursor: str | None
    searching: bool


def listing(session: Session, actor: Actor, *, q: str = "", cursor: str | None = None) -> Directory:
    """Customers matching `q` (name, company, email address or phone number), else the recently active ones."""
    authorize(actor, "customers.read")
    q = q.strip()
    if q:
        found = search.search(session, actor, q=q, kinds=["customers"], limit=PAGE_SIZE, cursor=cursor or None)
        ids = [hit.id for hit in found.items]
        # snippet_html escaped every character of the match and added only <mark> tags: safe to show as HTML.
        marks = {hit.id: Markup(hit.snippet) for hit in found.items}  # noqa: S704
        return Directory(q, rows(session, ids, marks), found.next_cursor, True)
    scan = get_settings().customer_list_scan
    ids, end = repository.recently_active(session, after=_position(cursor), limit=PAGE_SIZE, scan=scan)
    return Directory("", rows(session, ids), _cursor(end) if end else None, False)


def rows(session: Session, ids: list[int], snippets: dict[int, Markup] | None = None) -> list[CustomerRow]:
    """List rows for these customers, in this order, with identities and activity (three queries in all)."""
    customers = repository.by_ids(session, ids)
    identities = repository.identities(session, ids)
    activity = repository.activity(session, ids)
    snippets = snippets or {}
    return [CustomerRow(customers[i], identities[i], activity[i], snippets.get(i, "")) for i in ids if i in customers]


def _cursor(position: Position) -> str:
    return cursors.encode(["customers", position[0].isoformat(), position[1]])


def _position(cursor: str | None) -> Position | None:
    if not cursor:
        return None
    try:
        kind, at, conversation_id = cursors.decode(cursor)
        if kind != "customers" or not isinstance(conversation_id, int):
            raise ValueError
        return datetime.fromisoformat(at), conversation_id
    except (ValueError, TypeError) as exc:
        raise Invalid(
            "This page link is out of date; start again from the first page of customers.",
            errors=[{"field": "cursor"}],
        ) from exc
