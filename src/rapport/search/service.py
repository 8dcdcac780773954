"""Search: one query over conversation subjects, messages and customers, ranked, filtered, paged.

Each kind is searched on its own (see repository: the newest matches, ranked), then the kinds are merged by
score. A score is the engine's relevance in [0, 1) times the kind's weight: a subject or a customer's name is
a short, deliberate text, so a match there is worth more than the same word somewhere in a message.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kernel.permissions import Actor, authorize
from rapport.kit import cursor as cursors
from rapport.kit.problems import Invalid
from rapport.kit.schema import Page
from rapport.models.enums import Channel, Status
from rapport.search import repository
from rapport.search.query import MAX_QUERY_CHARS, Term, parse
from rapport.search.repository import MARK_CLOSE, MARK_OPEN, WINDOW, Filters, Row
from rapport.search.schemas import SearchHit

__all__ = ["KINDS", "MAX_QUERY_CHARS", "search", "snippet_html"]

KINDS = ("conversations", "messages", "customers")
WEIGHTS = {"conversation": 2.0, "customer": 2.0, "message": 1.0}
# An identity address typed in full is the surest match there is; the start of one comes next.
_EXACT_ADDRESS, _ADDRESS_PREFIX = 1.0, 0.8
_MIN_ADDRESS_CHARS = 3
_PHONE = re.compile(r"\+?[\d\s().\-]{5,}")
_MARKS = re.compile(f"([{MARK_OPEN}{MARK_CLOSE}])")


def search(
    session: Session,
    actor: Actor,
    *,
    q: str,
    kinds: Iterable[str] | None = None,
    status: Iterable[str] | None = None,
    channel: str | None = None,
    inbox_id: int | None = None,
    assignee_id: int | None = None,
    team_id: int | None = None,
    customer_id: int | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page[SearchHit]:
    """The best matches for `q` among the kinds asked for (all by default), best first, one page."""
    wanted = _kinds(kinds)
    if wanted & {"conversations", "messages"}:
        authorize(actor, "conversations.read")
    if "customers" in wanted:
        authorize(actor, "customers.read")
    cap = get_settings().max_page_size
    if not 1 <= limit <= cap:
        raise Invalid(f"limit must be between 1 and {cap} (RAPPORT_MAX_PAGE_SIZE).", errors=[{"field": "limit"}])
    terms = parse(q)
    flt = _filters(status, channel, inbox_id, assignee_id, team_id, customer_id)
    fingerprint = _fingerprint(terms, q, wanted, flt)
    offset = _offset(cursor, fingerprint)
    top = offset + limit + 1
    rows: list[Row] = []
    # Stop words alone (PostgreSQL) match no text; an identity address may still match.
    text_matches = not repository.matches_nothing(session, terms)
    if text_matches:
        if "messages" in wanted:
            rows += repository.messages(session, terms, flt, top=top)
        if "conversations" in wanted:
            rows += repository.conversations(session, terms, flt, top=top)
    # A customer has no status, channel, inbox, assignee or team: any of those filters leaves customers out
    # (customer_id narrows them to that one).
    if "customers" in wanted and flt == Filters(customer_id=flt.customer_id):
        rows += _customers(session, terms if text_matches else [], q, customer_id=flt.customer_id, top=top)
    for row in rows:
        row.relevance *= WEIGHTS[row.kind]
    rows.sort(key=lambda r: (-r.relevance, -r.created_at.timestamp(), r.kind, -r.id))
    page = rows[offset : offset + limit]
    # Ranking covers the newest WINDOW matches of each kind; paging stops there too.
    more = len(rows) > offset + limit and offset + limit < WINDOW
    marked = repository.snippets(session, terms, page)
    items = [_hit(row, marked.get((row.kind, row.id), "")) for row in page]
    return Page(items=items, next_cursor=cursors.encode(["search", offset + limit, fingerprint]) if more else None)


def snippet_html(marked: str) -> str:
    """Safe HTML for highlighted text: every character escaped, matches wrapped in balanced <mark> tags."""
    out, inside = [], False
    for piece in _MARKS.split(marked):
        if piece == MARK_OPEN:
            if not inside:
                out.append("<mark>")
            inside = True
        elif piece == MARK_CLOSE:
            if inside:
                out.append("</mark>")
            inside = False
        else:
            out.append(html.escape(piece, quote=True))
    if inside:
        out.append("</mark>")
    return "".join(out)


def _kinds(kinds: Iterable[str] | None) -> set[str]:
    wanted = set(kinds or KINDS)
    unknown = sorted(wanted - set(KINDS))
    if unknown or not wanted:
        raise Invalid(f"Unknown kind {unknown}; choose from {', '.join(KINDS)}.", errors=[{"field": "kind"}])
    return wanted


def _filters(status, channel, inbox_id, assignee_id, team_id, customer_id) -> Filters:
    try:
        statuses = tuple(sorted({Status(s).value for s in status or ()}))
    except ValueError as exc:
        raise Invalid(f"status must be one of {', '.join(Status)}.", errors=[{"field": "status"}]) from exc
    if channel is not None and channel not in set(Channel):
        raise Invalid(f"channel must be one of {', '.join(Channel)}.", errors=[{"field": "channel"}])
    return Filters(
        status=statuses,
        channel=channel,
        inbox_id=inbox_id,
        assignee_id=assignee_id,
        team_id=team_id,
        customer_id=customer_id,
    )


def _fingerprint(terms: list[Term], q: str, wanted: set[str], flt: Filters) -> str:
    # Ties a cursor to its search, so a cursor from another query is refused instead of paging nonsense.
    key = repr((terms, q.strip(), sorted(wanted), flt))
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _offset(cursor: str | None, fingerprint: str) -> int:
    if cursor is None:
        return 0
    try:
        kind, offset, seen = cursors.decode(cursor)
        if kind != "search" or seen != fingerprint or not isinstance(offset, int) or not 0 <= offset <= WINDOW:
            raise ValueError
    except ValueError as exc:
        raise Invalid(
            "The cursor is not valid for this search; start again without it.", errors=[{"field": "cursor"}]
        ) from exc
    return offset


def _customers(session: Session, terms: list[Term], q: str, *, customer_id: int | None, top: int) -> list[Row]:
    """Customers by name or company (when there are terms), and by an identity address typed in full or its start."""
    found = {}
    if terms:
        found = {row.id: row for row in repository.customers(session, terms, customer_id=customer_id, top=top)}
    for prefix in _address_prefixes(q):
        for row, address in repository.customers_by_address(session, prefix, customer_id=customer_id, top=top):
            row.relevance = _EXACT_ADDRESS if address == prefix else _ADDRESS_PREFIX
            row.marked = MARK_OPEN + address[: len(prefix)] + MARK_CLOSE + address[len(prefix) :]
            if row.id not in found or found[row.id].relevance < row.relevance:
                found[row.id] = row
    return list(found.values())


def _address_prefixes(q: str) -> list[str]:
    """The forms an address typed in `q` is stored in: lower-case for email, +digits for a phone."""
    raw = q.strip().rstrip("*").strip()
    if len(raw) < _MIN_ADDRESS_CHARS or any(ord(ch) < 32 for ch in raw):
        return []
    if _PHONE.fullmatch(raw):
        digits = re.sub(r"\D", "", raw)
        return [f"+{digits}", digits] if len(digits) >= _MIN_ADDRESS_CHARS else []
    if any(ch.isspace() for ch in raw):
        return []
    return list(dict.fromkeys([raw.lower(), raw]))


def _hit(row: Row, marked: str) -> SearchHit:
    return SearchHit(
        kind=row.kind,
        id=row.id,
        conversation_id=row.conversation_id,
        customer_id=row.customer_id,
        snippet=snippet_html(marked),
        score=round(row.relevance, 6),
        created_at=row.created_at,
        subject=row.subject,
        status=row.status,
        name=row.name,
    )
