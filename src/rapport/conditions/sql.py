"""Compile a condition to one SQL where-clause over `conversations`, keeping the inbox views' partial-index plans.

The tree is first put in negation normal form (a `not` is pushed down to the leaves, each leaf having an exact
complement), so a NULL column can never turn a `not` true in SQL where the evaluator says false. The result is a
*shape* — the tree with its values replaced by parameter names — so a statement is built once per shape and the
values are bound at execution (lists are hot). Status tests over the active statuses and "no assignee" are written
literally as the partial indexes' predicates: PostgreSQL and SQLite use a partial index only when the query repeats
its predicate word for word.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, false, func, literal, not_, or_, select, text, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import BindParameter, ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import replacement_traverse
from sqlalchemy.types import String

from rapport.conditions.fields import COMPLEMENT, LIST_OPS, lookup
from rapport.conditions.model import All, AnyOf, Leaf, Node, Not
from rapport.models import Conversation, ConversationTag, Customer
from rapport.models.conversations import ACTIVE_SQL, UNASSIGNED_SQL, WAITING_SQL
from rapport.models.enums import ACTIVE_STATUSES

ACTIVE = frozenset(s.value for s in ACTIVE_STATUSES)
WAITING = frozenset({"new", "open"})
_TABLE = Conversation.__table__


def prepare(node: Node) -> tuple[tuple, dict[str, Any]]:
    """The condition's shape (hashable: what the SQL depends on) and the values to bind to it."""
    params: dict[str, Any] = {}
    return _shape(node, False, params), params


def _shape(node: Node, negated: bool, params: dict) -> tuple:
    if isinstance(node, Not):
        return _shape(node.not_, not negated, params)
    if isinstance(node, All | AnyOf):
        children = tuple(_shape(c, negated, params) for c in (node.all if isinstance(node, All) else node.any))
        conjunction = isinstance(node, All) != negated  # De Morgan: not(all) is any(not …)
        return ("all" if conjunction else "any", children)
    base = COMPLEMENT.get(node.op, node.op)
    positive = (node.op == base) != negated
    name = None
    if node.value is not None:
        name = f"p{len(params)}"
        params[name] = list(node.value) if node.op in LIST_OPS else node.value
    return ("leaf", node.field, base, positive, _mode(node, base, positive), name)


def _mode(node: Leaf, base: str, positive: bool) -> str:
    """How a leaf's values change its SQL (and so its shape): statuses an index holds, the unassigned view."""
    if node.field == "status" and positive and base in ("eq", "in"):
        wanted = {node.value} if base == "eq" else set(node.value)
        if wanted == ACTIVE:
            return "active"
        if wanted == WAITING:
            return "waiting"
        if wanted and wanted < ACTIVE:
            return "active_subset"
    if node.field == "assignee" and base == "is_set" and not positive:
        return "unassigned"
    return ""


@lru_cache(maxsize=1024)
def clause(shape: tuple) -> ColumnElement:
    """The where-clause of a shape over the conversations table, built once (bind its values with `prepare`'s)."""
    return build(shape, _TABLE.c)


def build(shape: tuple, cols) -> ColumnElement:
    """The where-clause of a shape over columns `cols` (the table's, or a subquery's holding the same names)."""
    kind = shape[0]
    if kind in ("all", "any"):
        parts = [build(child, cols) for child in shape[1]]
        if kind == "all":
            return and_(*parts) if parts else true()
        return or_(*parts) if parts else false()
    _, name, base, positive, mode, param = shape
    spec = lookup(name)
    literal = cols is _TABLE.c  # literal index predicates name the table's own columns
    if literal and mode in ("active", "waiting"):
        return text(ACTIVE_SQL if mode == "active" else WAITING_SQL)
    if literal and mode == "unassigned":
        return text(UNASSIGNED_SQL)
    if spec.on_customer:
        of = Customer.__table__.alias("condition_customer")
        found = select(of.c.id).where(of.c.id == cols["customer_id"], _positive(spec, base, of.c, param))
        found = found.correlate_except(of).exists()
        return found if positive else not_(found)
    if spec.kind == "tag":
        tagged = select(ConversationTag.conversation_id).where(_tag_test(base, param))
        return cols["id"].in_(tagged) if positive else cols["id"].not_in(tagged)
    test = _positive(spec, base, cols, param)
    if positive:
        if literal and mode == "active_subset":
            # Redundant, but lets the planner walk a small partial index (e.g. new and unassigned).
            return and_(text(ACTIVE_SQL), test)
        return test
    if spec.kind == "json":
        return not_(func.coalesce(test, false()))
    column = cols[spec.column]
    opposite = {
        "eq": lambda: column != _bind(param, column),
        "in": lambda: column.not_in(bindparam(param, expanding=True)),
        "is_set": lambda: column.is_(None),
        "since": lambda: column < _bind(param, column),
        "before": lambda: column >= _bind(param, column),
    }[base]()
    if spec.nullable and base != "is_set":
        return or_(column.is_(None), opposite)
    return opposite


def _bind(param: str, column):
    return bindparam(param, type_=column.type)


def _tag_test(base: str, param: str):
    if base == "has":
        return ConversationTag.tag == bindparam(param)
    return ConversationTag.tag.in_(bindparam(param, expanding=True))


def _positive(spec, base: str, cols, param: str | None) -> ColumnElement:
    """The test that holds exactly when the evaluator's positive operator does (NULL where it does not)."""
    column = cols[spec.column]
    if spec.kind == "json":
        if base == "is_set":
            return func.coalesce(json_kind(column, spec.json_key), "null") != "null"
        return json_text(column, spec.json_key) == bindparam(param, type_=String())
    if base == "eq":
        return column == _bind(param, column)
    if base == "in":
        return column.in_(bindparam(param, expanding=True))
    if base == "is_set":
        return column.is_not(None)
    if base == "since":
        return column >= _bind(param, column)
    return column < _bind(param, column)  # before


class json_kind(FunctionElement):  # noqa: N801  (reads like the SQL function it stands for)
    """The JSON type of member `key` of `column` ('null' for JSON null, NULL when absent); SQLite and PostgreSQL."""

    type = String()
    inherit_cache = True

    def __init__(self, column, key: str):
        super().__init__(column, literal(key, String()))  # the key is bound, never written into the SQL


class json_text(FunctionElement):  # noqa: N801
    """The text of member `key` of `column` when it is a JSON string, else NULL (a number 5 is not "5")."""

    type = String()
    inherit_cache = True

    def __init__(self, column, key: str):
        super().__init__(column, literal(key, String()))


def _args(element, compiler, **kw) -> tuple[str, str]:
    column, key = list(element.clauses)
    return compiler.process(column, **kw), compiler.process(key, **kw)


@compiles(json_kind, "sqlite")
def _json_kind_sqlite(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    return f"json_type({column}, '$.\"' || {key} || '\"')"


@compiles(json_kind, "postgresql")
def _json_kind_pg(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    return f"jsonb_typeof(({column}) -> {key})"


@compiles(json_text, "sqlite")
def _json_text_sqlite(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    path = f"'$.\"' || {key} || '\"'"
    return f"CASE WHEN json_type({column}, {path}) = 'text' THEN json_extract({column}, {path}) END"


@compiles(json_text, "postgresql")
def _json_text_pg(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    return f"CASE WHEN jsonb_typeof(({column}) -> {key}) = 'string' THEN ({column}) ->> {key} END"


EMPTY = ("all", ())  # the shape of a condition that holds for every conversation


def where(node: Node, cols=None) -> tuple[ColumnElement, dict[str, Any]]:
    """The condition's where-clause over `cols` (default: the conversations table) and its values to bind."""
    shape, params = prepare(node)
    return (clause(shape) if cols is None else build(shape, cols)), params


def bound(node: Node, cols=None) -> ColumnElement:
    """The condition's where-clause with its values bound in (each parameter uniquely named, so several conditions
    can sit in one statement); for statements built per request."""
    shape, params = prepare(node)
    if cols is None:
        # The inbox asks for the same views again and again (its counts, every page): built once per values.
        frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())
        return _bound_on_table(shape, frozen)
    return _bind_in(build(shape, cols), params)


@lru_cache(maxsize=1024)
def _bound_on_table(shape: tuple, frozen: tuple) -> ColumnElement:
    return _bind_in(clause(shape), {k: list(v) if isinstance(v, tuple) else v for k, v in frozen})


def _bind_in(built: ColumnElement, params: dict[str, Any]) -> ColumnElement:
    def swap(element):
        if isinstance(element, BindParameter) and element.key in params:
            value = params[element.key]
            return bindparam(element.key, value, type_=element.type, expanding=element.expanding, unique=True)
        return None

    return replacement_traverse(built, {}, swap)


def within_active(node: Node) -> bool:
    """Whether the condition itself keeps to active statuses (so merged conversations, closed, cannot match)."""
    tests = node.all if isinstance(node, All) else [node]
    for test in tests:
        if isinstance(test, Leaf) and test.field == "status" and test.op in ("eq", "in"):
            wanted = {test.value} if test.op == "eq" else set(test.value)
            if wanted and wanted <= ACTIVE:
                return True
    return False


def columns(node: Node) -> set[str]:
    """The conversation columns a condition reads (to select no more than that of rows it checks)."""
    if isinstance(node, All | AnyOf):
        return set().union(*(columns(c) for c in (node.all if isinstance(node, All) else node.any)))
    if isinstance(node, Not):
        return columns(node.not_)
    spec = node.spec
    return {"customer_id"} if spec.on_customer else {"id"} if spec.kind == "tag" else {spec.column}


def split(node: Node) -> tuple[All, All]:
    """The condition's top-level tests an inbox view's index answers, and the rest (checked row by row)."""
    tests = node.all if isinstance(node, All) else [node]
    indexed = [t for t in tests if isinstance(t, Leaf) and t.spec.indexed and t.op in ("eq", "in", "is_set")]
    indexed += [t for t in tests if isinstance(t, Leaf) and t.field == "assignee" and t.op == "is_not_set"]
    return All(all=indexed), All(all=[t for t in tests if not any(t is i for i in indexed)])
