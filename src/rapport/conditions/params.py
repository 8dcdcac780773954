"""Conditions from what outside callers send: the API list's query parameters and a JSON `where`."""

from __future__ import annotations

import json
from typing import Any

from rapport.conditions.model import All, Leaf, Node, parse
from rapport.kit.problems import Invalid

WHERE_CHARS = 20_000  # a JSON condition in a query string; the tree's own limits are named settings


def from_json(raw: str, *, where: str = "where") -> Node:
    """A condition sent as JSON text (the API's `where` parameter); Invalid (422) when it is not one."""
    if len(raw) > WHERE_CHARS:
        raise Invalid(f"{where} is longer than {WHERE_CHARS} characters.", errors=[{"field": where}])
    try:
        data: Any = json.loads(raw)
    except ValueError:
        example = '{"all": [{"field": "status", "op": "eq", "value": "open"}]}'
        raise Invalid(f"{where} is not JSON: send a condition such as {example}.", errors=[{"field": where}]) from None
    return parse(data, where=where)


def from_list_query(q: Any, *, category_id: int | None | bool = False) -> list[Leaf]:
    """The tests the API list's plain query parameters ask for (`status=open&team_id=3` …).

    `category_id` is the id of the named `category` (None when no category has that name: nothing matches).
    """
    tests: list[Leaf] = []

    def add(field: str, op: str, value: Any = None) -> None:
        tests.append(Leaf(field=field, op=op, value=value))

    if q.status:
        add("status", "in", [s.value for s in q.status])
    if q.assignee_id is not None:
        add("assignee", "eq", q.assignee_id)
    if q.unassigned:
        add("assignee", "is_not_set")
    for param, field in (("team_id", "team"), ("inbox_id", "inbox"), ("customer_id", "customer")):
        if getattr(q, param) is not None:
            add(field, "eq", getattr(q, param))
    if q.channel is not None:
        add("channel", "eq", q.channel.value)
    if q.priority is not None:
        add("priority", "eq", q.priority.value)
    if q.category is not None:
        add("category", "in", [] if category_id is None else [category_id])
    if q.tag:
        add("tag", "has", q.tag.lower())
    if q.updated_since is not None:
        add("updated_at", "since", q.updated_since)
    return tests


def combined(tests: list[Node], extra: Node | None = None) -> Node:
    """One condition: all of these tests, and the `where` condition when one was sent."""
    if extra is not None:
        tests = [*tests, *(extra.all if isinstance(extra, All) else [extra])]
    return All(all=tests)
