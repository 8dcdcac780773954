"""Following merged conversations to the one that now holds their messages: the one way every path does it.

A merged conversation keeps `merged_into_id`; a chain is followed to its end (a merge into a conversation that
is merged later). `follow` reads a batch's conversations a round of statements per hop; `survivor` reads one.
The ownership check of a reference (an email's In-Reply-To, a reply token, a [#number]) is here too: a
reference is followed only to a conversation of the sender's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.models import Conversation

# A chain longer than this is not a merge history but a loop an interrupted write could leave: stop there.
MAX_HOPS = 20


def survivor(session: Session, conversation_id: int) -> int:
    """The conversation `conversation_id` survives as (itself when not merged, or when there is none)."""
    seen = {conversation_id}
    while True:
        nxt = session.scalar(select(Conversation.merged_into_id).where(Conversation.id == conversation_id))
        if nxt is None or nxt in seen:
            return conversation_id
        seen.add(nxt)
        conversation_id = nxt


def follow(fetch: Callable[[set[int]], Iterable[Any]], ids: Iterable[int], known: Mapping[int, Any] = ()) -> dict:
    """Rows by id of `ids` and of every conversation they were merged into; `fetch(ids)` reads rows having
    `.id` and `.merged_into_id` (one round per hop of the longest chain); `known` rows are not read again."""
    rows: dict[int, Any] = dict(known)
    todo = {i for i in ids if i is not None and i not in rows}
    while todo:
        fetched = list(fetch(todo))
        rows.update((r.id, r) for r in fetched)
        todo = {r.merged_into_id for r in fetched if r.merged_into_id and r.merged_into_id not in rows}
    return rows


def surviving(rows: Mapping[int, Any], conversation_id: int | None) -> Any:
    """The row `conversation_id` survives as, among rows read by `follow` (None when it is not there)."""
    row, hops = rows.get(conversation_id), 0
    while row is not None and row.merged_into_id and hops < MAX_HOPS:
        row, hops = rows.get(row.merged_into_id), hops + 1
    return row


def own(candidates: Iterable[tuple[int, int]], customer_id: int | None) -> int | None:
    """The first (conversation, owner) candidate that is the customer's own: a forged or forwarded reference never
    posts into someone else's conversation."""
    if customer_id is None:
        return None
    return next((conv for conv, owner in candidates if owner == customer_id), None)
