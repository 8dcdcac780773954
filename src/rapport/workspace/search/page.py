"""The workspace's search page: one box over conversations, messages and customers, with filters and paging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session

from rapport.customers import repository as customers
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.problems import Invalid
from rapport.models import Identity
from rapport.search import service
from rapport.search import workspace_repository as queries
from rapport.search.schemas import SearchHit

PAGE_SIZE = 20
KIND_LABELS = {"": "Everything", "conversations": "Conversations", "messages": "Messages", "customers": "Customers"}
_IDS = {"inbox_id": "an inbox", "assignee_id": "an assignee", "team_id": "a team", "customer_id": "a customer"}


@dataclass(frozen=True)
class SearchForm:
    """What the agent asked for, as typed: the query and each filter ('' when not set)."""

    q: str = ""
    kind: str = ""
    status: str = ""
    channel: str = ""
    inbox_id: str = ""
    assignee_id: str = ""
    team_id: str = ""
    customer_id: str = ""

    @property
    def filtered(self) -> bool:
        """True when a conversation filter is set (customers have none of these, so they are left out)."""
        return any((self.status, self.channel, self.inbox_id, self.assignee_id, self.team_id))

    def url(self, **extra: str) -> str:
        """This search's address, with `extra` parameters (the next page's cursor)."""
        pairs = {f.name: getattr(self, f.name) for f in fields(self)} | extra
        return "/search?" + urlencode({k: v for k, v in pairs.items() if v})


@dataclass
class Result:
    """One hit as the page shows it: where it leads, what it is, and the highlighted text."""

    hit: SearchHit
    href: str
    snippet: Markup
    channel: str | None = None
    direction: str | None = None
    inbox_name: str | None = None
    assignee_name: str | None = None
    customer_name: str | None = None
    identities: list[Identity] | None = None


@dataclass
class SearchPage:
    """One page of results and the cursor of the next (None at the end)."""

    form: SearchForm
    results: list[Result]
    next_cursor: str | None
    searched: bool


def read_form(params: Mapping[str, str]) -> SearchForm:
    """The form's fields from the query string, trimmed (checked when the search runs)."""
    values = {f.name: str(params.get(f.name) or "").strip() for f in fields(SearchForm)}
    return SearchForm(**values)


def run(session: Session, actor: Actor, form: SearchForm, *, cursor: str | None = None) -> SearchPage:
    """The results of the form's search (nothing when there is no query yet); Invalid names a wrong field."""
    authorize(actor, "conversations.read")
    if not form.q:
        return SearchPage(form, [], None, searched=False)
    found = service.search(
        session,
        actor,
        q=form.q,
        kinds=[form.kind] if form.kind else None,
        status=[form.status] if form.status else None,
        channel=form.channel or None,
        inbox_id=_id(form, "inbox_id"),
        assignee_id=actor.id if form.assignee_id == "me" else _id(form, "assignee_id"),
        team_id=_id(form, "team_id"),
        customer_id=_id(form, "customer_id"),
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    return SearchPage(form, _results(session, found.items), found.next_cursor, searched=True)


def _id(form: SearchForm, name: str) -> int | None:
    raw = getattr(form, name)
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid(f"Choose {_IDS[name]} from the list.", errors=[{"field": name}])
    return int(raw)


def _results(session: Session, hits: list[SearchHit]) -> list[Result]:
    conversations = queries.conversations(session, sorted({h.conversation_id for h in hits if h.conversation_id}))
    messages = queries.messages(session, [h.id for h in hits if h.kind == "message"])
    identities = customers.identities(session, [h.id for h in hits if h.kind == "customer"])
    out = []
    for hit in hits:
        # snippet_html escaped every character of the match and added only <mark> tags: safe to show as HTML.
        result = Result(hit, _href(hit), Markup(hit.snippet))  # noqa: S704
        if hit.kind == "customer":
            result.identities = identities.get(hit.id, [])
            result.customer_name = hit.name
        conv = conversations.get(hit.conversation_id) if hit.conversation_id else None
        if conv is not None:
            result.channel, result.inbox_name = conv.channel, conv.inbox_name
            result.assignee_name, result.customer_name = conv.assignee_name, conv.customer_name
        message = messages.get(hit.id) if hit.kind == "message" else None
        if message is not None:
            result.channel, result.direction = message.channel, message.direction
        out.append(result)
    return out


def _href(hit: SearchHit) -> str:
    if hit.kind == "customer":
        return f"/customers/{hit.id}"
    return f"/conversations/{hit.conversation_id}"
