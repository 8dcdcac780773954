"""Every search query, on SQLite FTS5 and PostgreSQL tsvector: a bounded window of recent matches, then ranking.

Why bounded: a common word matches millions of messages, and scoring all of them on each search costs seconds.
So each search ranks only the WINDOW newest matches ("the best of the recent matches": in a help desk the recent
conversations are the ones people look for), and finding those must not read every match either.

SQLite: FTS5 answers `ORDER BY rowid DESC` from its doclists, filters are checked row by row in the same
statement (and only as far back as the SCAN-th newest match), and rows stream to Python, which stops at WINDOW
rows or TEXT_BUDGET characters. Ranking does not use bm25(): for its IDF, FTS5 counts every row that matches
each term, an unbounded cost for a common word (15-30 ms at 2M messages, and it scores a word found in over
half the rows as 0). Instead highlight() marks the matched tokens of each windowed row (FTS5 decides what
matched: stemming, phrases, prefixes) and the score is BM25's term-frequency and length part, computed from
those marks. IDF would only reorder multi-term matches, all of which hold every term. The same marked text
gives the snippet, so there is no second full-text query.

PostgreSQL: a GIN index cannot list matches in id order, so the newest matches come one of two ways, each at a
bounded cost. A common term (by the planner's estimate for the query's rarest word) is found by walking the newest
WALK rows backwards along the primary key, testing each stored tsvector (and the filters) and stopping at WINDOW
matches. A rare term, or one the walk proves rare (under MIN_HITS found), is read whole from the GIN index and
sorted; but when the estimate says the term is common in the table and only the newest rows lack it, a second,
deeper walk (DEEP_WALK rows, ~55 ms at 5M messages) finds the recent matches instead, since reading all of a common
term's matches costs a second or more. The planner is not left to choose: with the default random_page_cost it
walks for a 0.5% term (70-150 ms at 2M messages, against 16 ms through the index). The tsquery is written into the
SQL as a constant, never a bound parameter, so that estimates see the real words. The window is ranked by
ts_rank_cd, which reads the stored tsvector (no IDF either).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, bindparam, text
from sqlalchemy.orm import Session

from rapport.db.types import UTCDateTime
from rapport.models.enums import IdentityKind
from rapport.search.query import Term

# How many of the most recent matches are ranked (see the module docstring).
WINDOW = 1000
# SQLite: how many of the most recent matches are examined when filters apply.
SCAN = 10_000
# SQLite: stop reading the window after this much text; highlight() re-tokenises each row (~10 µs per KB).
TEXT_BUDGET = 400_000
# PostgreSQL: how many of the newest rows a search walks, testing each one's tsvector (~0.3 µs a row).
WALK = 40_000
# PostgreSQL: how far back a second walk looks when a term common in the table is rare among the newest rows.
DEEP_WALK = 160_000
# PostgreSQL: a walk that finds fewer matches than this means a rare term, read instead from the GIN index.
MIN_HITS = 50
# BM25's usual constants: term-frequency saturation and document-length normalisation.
_K1, _B = 1.2, 0.75
# Highlight delimiters: private-use characters, turned into <mark> tags after the text is HTML-escaped.
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
ELLIPSIS = "…"
SNIPPET_WORDS = 30
# PostgreSQL: ts_headline() marks every match of the whole text (its own fragments skip tag-like text and
# carry no ellipses); fragment() then cuts it as on SQLite. It reads at most this much of a message.
_HEADLINE = f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, HighlightAll=true"
_HEADLINE_CHARS = 20_000


@dataclass(frozen=True)
class Filters:
    """Conversation attributes a search is narrowed by; channel is the message's own for message hits."""

    status: tuple[str, ...] = ()
    channel: str | None = None
    inbox_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None

    @property
    def any(self) -> bool:
        """True when any filter is set."""
        return bool(self.status) or any(
            v is not None for v in (self.channel, self.inbox_id, self.assignee_id, self.team_id, self.customer_id)
        )


@dataclass
class Row:
    """A match: `relevance` is in [0, 1), higher is better; `marked` is its highlighted text (SQLite only)."""

    kind: str
    id: int
    created_at: datetime
    relevance: float = 0.0
    conversation_id: int | None = None
    customer_id: int | None = None
    subject: str | None = None
    status: str | None = None
    name: str | None = None
    marked: str | None = None


@dataclass(frozen=True)
class _Source:
    """Where one kind of hit comes from: its table, FTS table and columns, joins and output columns."""

    kind: str
    table: str
    alias: str
    fts: str
    # (FTS column number, weight): highlight() of each feeds the SQLite score.
    columns: tuple[tuple[int, float], ...]
    # PostgreSQL: the columns the filters read, copied out of each walked row.
    walk_columns: str
    joins: str
    hit: dict[str, str]
    types: dict


_CONVERSATION_HIT = {
    "conversation_id": "c.id",
    "customer_id": "c.customer_id",
    "created_at": "c.created_at",
    "subject": "c.subject",
    "status": "c.status",
}
_CONVERSATION_TYPES = {
    "conversation_id": Integer,
    "customer_id": Integer,
    "created_at": UTCDateTime,
    "subject": String,
    "status": String,
}
MESSAGES = _Source(
    kind="message",
    table="messages",
    alias="m",
    fts="messages_fts",
    columns=((0, 1.0),),
    walk_columns="id, conversation_id, channel, search",
    joins="JOIN conversations c ON c.id = m.conversation_id",
    hit=_CONVERSATION_HIT | {"conversation_id": "m.conversation_id", "created_at": "m.created_at"},
    types=_CONVERSATION_TYPES,
)
CONVERSATIONS = _Source(
    kind="conversation",
    table="conversations",
    alias="c",
    fts="conversations_fts",
    columns=((0, 1.0),),
    walk_columns="id, status, channel, inbox_id, customer_id, assignee_id, team_id, merged_into_id, search",
    joins="",
    hit=_CONVERSATION_HIT,
    types=_CONVERSATION_TYPES,
)
CUSTOMERS = _Source(
    kind="customer",
    table="customers",
    alias="cu",
    fts="customers_fts",
    # A match in the name counts for more than one in the company.
    columns=((0, 2.0), (1, 1.0)),
    walk_columns="id, merged_into_id, search",
    joins="",
    hit={"customer_id": "cu.id", "created_at": "cu.created_at", "name": "cu.name"},
    types={"customer_id": Integer, "created_at": UTCDateTime, "name": String},
)


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _literal(value: str) -> str:
    # Terms hold only letters, digits, spaces and @.+/#- (see search.query); doubling quotes is belt and braces.
    return "'" + value.replace("'", "''").replace("\x00", "") + "'"


def fts5_match(terms: list[Term]) -> str:
    """The FTS5 MATCH expression: every term a quoted string (never an operator), all required."""
    return " ".join(f'"{t.text}"' + (" *" if t.prefix else "") for t in terms)


def tsquery_sql(terms: list[Term]) -> str:
    """SQL for the PostgreSQL tsquery: each term a phrase, a prefix term ending in `:*`, all required."""
    parts = []
    for t in terms:
        if not t.prefix:
            parts.append(f"phraseto_tsquery('english', {_literal(t.text)})")
            continue
        last = f"to_tsquery('english', {_literal(_literal(t.words[-1]) + ':*')})"
        head = " ".join(t.words[:-1])
        parts.append(f"(phraseto_tsquery('english', {_literal(head)}) <-> {last})" if head else last)
    return "(" + " && ".join(parts) + ")"


def _conversation_filters(flt: Filters, *, message_channel: bool) -> tuple[str, dict]:
    sql, params = ["c.merged_into_id IS NULL"], {}
    if flt.status:
        sql.append("c.status IN :statuses")
        params["statuses"] = list(flt.status)
    if flt.channel is not None:
        sql.append(("m" if message_channel else "c") + ".channel = :channel")
        params["channel"] = flt.channel
    for attr in ("inbox_id", "assignee_id", "team_id", "customer_id"):
        value = getattr(flt, attr)
        if value is not None:
            sql.append(f"c.{attr} = :{attr}")
            params[attr] = value
    return " AND ".join(sql), params


def messages(session: Session, terms: list[Term], flt: Filters, *, top: int) -> list[Row]:
    """The `top` best message hits among the recent matches, with their conversation's subject and status."""
    where, params = _conversation_filters(flt, message_channel=True)
    return _search(session, MESSAGES, terms, where, params, filtered=flt.any, top=top)


def conversations(session: Session, terms: list[Term], flt: Filters, *, top: int) -> list[Row]:
    """The `top` best conversations whose subject matches, among the recent matches; merged ones left out."""
    where, params = _conversation_filters(flt, message_channel=False)
    return _search(session, CONVERSATIONS, terms, where, params, filtered=flt.any, top=top)


def customers(session: Session, terms: list[Term], *, customer_id: int | None, top: int) -> list[Row]:
    """The `top` best customers whose name or company matches, among the recent matches; merged ones left out."""
    where, params = "cu.merged_into_id IS NULL", {}
    if customer_id is not None:
        where += " AND cu.id = :customer_id"
        params["customer_id"] = customer_id
    return _search(session, CUSTOMERS, terms, where, params, filtered=customer_id is not None, top=top)


def _search(
    session: Session, src: _Source, terms: list[Term], where: str, params: dict, *, filtered: bool, top: int
) -> list[Row]:
    # Messages move when conversations merge, so an unfiltered message search needs no join at all.
    where = where if filtered or src is not MESSAGES else ""
    if _is_pg(session):
        scored = _pg_window(session, src, terms, where, params)
    else:
        scored = _sqlite_window(session, src, terms, where, params, filtered=filtered)
    scored.sort(key=lambda hit: (-hit[1], -hit[0]))
    best = {hit[0]: hit for hit in scored[:top]}
    rows = _details(session, src, list(best))
    for row in rows:
        _, row.relevance, row.marked = best[row.id]
    rows.sort(key=lambda r: (-r.relevance, -r.id))
    return rows


def matches_nothing(session: Session, terms: list[Term]) -> bool:
    """True when the query can match no row: on PostgreSQL, every word is a stop word ("the", "i")."""
    if not _is_pg(session):
        return False
    return session.scalar(text(f"SELECT numnode({tsquery_sql(terms)}) = 0"))  # noqa: S608  (terms through _literal)


def _statement(sql: str, params: dict, **types):
    stmt = text(sql)
    if "statuses" in params:
        stmt = stmt.bindparams(bindparam("statuses", expanding=True))
    return stmt.columns(**types) if types else stmt


def _pg_bound(session: Session, table: str, terms: list[Term]) -> float:
    """The planner's estimate of the rows holding the query's rarest word: a bound on the rows matching it all.

    A bound, because the planner's own estimate for several words assumes they are independent, and phrases
    are anything but ("delivery address": estimated 15k rows, 96k real). A stop word counts as every row.
    """
    words = {f"'{w}'" for t in terms for w in (t.words[:-1] if t.prefix else t.words)}
    words |= {f"'{t.words[-1]}':*" for t in terms if t.prefix}
    queries = [f"to_tsquery('english', {_literal(w)})" for w in sorted(words)]
    # numnode() = 0 folds to true for a stop word, so its estimate is the whole table, never "rare".
    sql = " UNION ALL ".join(f"SELECT 1 FROM {table} WHERE search @@ {q} OR numnode({q}) = 0" for q in queries)  # noqa: S608
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar()[0]["Plan"]
    nodes = plan["Plans"] if plan["Node Type"] == "Append" else [plan]
    return min(node["Plan Rows"] for node in nodes)


def _pg_window(
    session: Session, src: _Source, terms: list[Term], where: str, params: dict
) -> list[tuple[int, float, None]]:
    """(id, relevance, None) of the newest WINDOW rows that match and pass `where`, at a bounded cost."""
    a, q = src.alias, tsquery_sql(terms)
    joins = src.joins if where else ""
    condition = f"{a}.search @@ {q}" + (f" AND {where}" if where else "")
    # Normalisation 1|32: divide by 1 + log(document length), then map the rank into [0, 1). It is computed
    # only for the rows the LIMIT lets through.
    ranked = f"SELECT {a}.id, ts_rank_cd({a}.search, {q}, 33) FROM"
    # Reading every match through the GIN index costs about as much per match as walking 4 rows.
    bound = _pg_bound(session, src.table, terms)
    if bound * 4 >= WALK:
        walked = _pg_walk(session, src, ranked, joins, condition, params, WALK)
        # Few hits: either the term is rare (the GIN index finds it all, cheaply) or only the filters are.
        if len(walked) >= MIN_HITS or (where and _pg_walk_matches(session, src.table, q) >= MIN_HITS):
            return walked
        if bound * 4 >= DEEP_WALK:
            # Common in the table but not lately (say a greeting the newest messages lack): reading its every
            # match from the GIN index would cost seconds, so look further back, still in a bounded walk.
            deeper = _pg_walk(session, src, ranked, joins, condition, params, DEEP_WALK)
            if deeper:
                return deeper
    # A rare term (by estimate, or proven by the walk): all its matches from the GIN index, which intersects
    # the words' postings itself. `id + 0` hides the primary key's order: the plan is the index and a top-N
    # sort, never a long walk.
    sql = f"{ranked} {src.table} {a} {joins} WHERE {condition} ORDER BY {a}.id + 0 DESC LIMIT {WINDOW}"  # noqa: S608
    return [(i, rank, None) for i, rank in session.execute(_statement(sql, params), params)]


def _pg_walk(session: Session, src: _Source, ranked: str, joins: str, condition: str, params: dict, rows: int):
    """(id, relevance, None) of the matches among the newest `rows` rows, newest first, up to WINDOW of them."""
    # The subquery's LIMIT forces the backward primary-key scan, and its order carries through the join, so the
    # walk stops at WINDOW matches.
    a = src.alias
    recent = f"(SELECT {src.walk_columns} FROM {src.table} ORDER BY id DESC LIMIT {rows}) {a}"  # noqa: S608
    sql = f"{ranked} {recent} {joins} WHERE {condition} ORDER BY {a}.id DESC LIMIT {WINDOW}"  # noqa: S608
    return [(i, rank, None) for i, rank in session.execute(_statement(sql, params), params)]


def _pg_walk_matches(session: Session, table: str, q: str) -> int:
    """How many of the newest WALK rows match `q`, filters aside, counting no further than MIN_HITS."""
    # The LIMIT stops a common term's count after a few hundred rows; only a rare one reads the whole walk.
    recent = f"SELECT search FROM {table} ORDER BY id DESC LIMIT {WALK}"  # noqa: S608
    sql = f"SELECT count(*) FROM (SELECT 1 FROM ({recent}) r WHERE search @@ {q} LIMIT {MIN_HITS}) hits"  # noqa: S608
    return session.scalar(text(sql))


def _sqlite_window(
    session: Session, src: _Source, terms: list[Term], where: str, params: dict, *, filtered: bool
) -> list[tuple[int, float, str]]:
    """(id, relevance, marked text) of the newest matches that pass `where`, up to WINDOW rows or TEXT_BUDGET."""
    fts, a = src.fts, src.alias
    params = params | {"match": fts5_match(terms), "open": MARK_OPEN, "close": MARK_CLOSE}
    if filtered:
        # The SCAN-th newest match bounds how far back the filters are tried.
        floor = session.execute(
            text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :match ORDER BY rowid DESC LIMIT 1 OFFSET :skip"),  # noqa: S608
            {"match": params["match"], "skip": SCAN - 1},
        ).scalar()
        if floor is not None:
            where += f" AND {fts}.rowid >= :floor"
            params["floor"] = floor
    marks = ", ".join(f"highlight({fts}, {col}, :open, :close)" for col, _ in src.columns)
    source = f"{fts} CROSS JOIN {src.table} {a} ON {a}.id = {fts}.rowid {src.joins.replace('JOIN', 'CROSS JOIN')}"
    # The FTS table drives (CROSS JOIN keeps that order) and its rowid order is the ORDER BY, so nothing is
    # sorted and rows stream; highlight() runs only for rows that pass the filters.
    sql = f"""
        SELECT {fts}.rowid, {marks} FROM {source if where else fts}
        WHERE {fts} MATCH :match {"AND " + where if where else ""}
        ORDER BY {fts}.rowid DESC LIMIT {WINDOW}"""  # noqa: S608  (fixed text; user text is bound)
    weights = [weight for _, weight in src.columns]
    found: list[tuple[int, float, str]] = []
    lengths: list[int] = []
    budget = TEXT_BUDGET
    result = session.connection().execute(_statement(sql, params), params)
    try:
        for row in result:
            texts = [t for t in row[1:] if t]
            tf = sum(w * (t or "").count(MARK_OPEN) for w, t in zip(weights, row[1:], strict=True))
            lengths.append(sum(t.count(" ") + 1 for t in texts))
            found.append((row[0], tf, " · ".join(texts)))
            budget -= sum(len(t) for t in texts)
            if budget <= 0:
                break
    finally:
        result.close()
    if not found:
        return []
    average = sum(lengths) / len(lengths)
    scale = _K1 * (1 - _B)
    slope = _K1 * _B / average
    # BM25's term-frequency part, into [0, 1): tf(k1+1) / (tf + k1(1 - b + b*len/avg)) stays below k1 + 1.
    return [
        (id_, tf / (tf + scale + slope * length), marked)
        for (id_, tf, marked), length in zip(found, lengths, strict=True)
    ]


def _details(session: Session, src: _Source, ids: list[int]) -> list[Row]:
    if not ids:
        return []
    a = src.alias
    cols = ", ".join([f"{a}.id AS id"] + [f"{expr} AS {name}" for name, expr in src.hit.items()])
    sql = f"SELECT {cols} FROM {src.table} {a} {src.joins} WHERE {a}.id IN :ids"  # noqa: S608  (fixed text)
    stmt = text(sql).bindparams(bindparam("ids", expanding=True)).columns(id=Integer, **src.types)
    return [Row(kind=src.kind, **row._asdict()) for row in session.execute(stmt, {"ids": ids})]


def customers_by_address(session: Session, prefix: str, *, customer_id: int | None, top: int) -> list[tuple[Row, str]]:
    """Customers with an identity address equal to or starting with `prefix`, with that address."""
    # A range on (kind, address) walks the unique index once per kind; LIKE could not use it on every database.
    # Ordering by address keeps that index (an exact address sorts first); by id, SQLite scans the table.
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    params: dict = {"lo": prefix, "hi": upper, "n": len(prefix), "top": top, "kinds": [k.value for k in IdentityKind]}
    extra = ""
    if customer_id is not None:
        extra = " AND cu.id = :customer_id"
        params["customer_id"] = customer_id
    stmt = (
        text(
            f"""
            SELECT cu.id AS id, cu.created_at AS created_at, cu.name AS name, i.address AS address
            FROM identities i JOIN customers cu ON cu.id = i.customer_id
            WHERE i.kind IN :kinds AND i.address >= :lo AND i.address < :hi
              AND substr(i.address, 1, :n) = :lo AND cu.merged_into_id IS NULL{extra}
            ORDER BY i.address, i.id LIMIT :top"""  # noqa: S608  (fixed text; user text is bound)
        )
        .bindparams(bindparam("kinds", expanding=True))
        .columns(id=Integer, created_at=UTCDateTime, name=String, address=String)
    )
    rows = session.execute(stmt, params)
    return [(Row("customer", r.id, r.created_at, customer_id=r.id, name=r.name), r.address) for r in rows]


_PG_SNIPPETS = {
    "message": "SELECT id, ts_headline('english', left(body_text, :chars), {q}, :opts) FROM messages WHERE id IN :ids",
    "conversation": "SELECT id, ts_headline('english', subject, {q}, :opts) FROM conversations WHERE id IN :ids",
    "customer": "SELECT id, concat_ws(' · ', ts_headline('english', nullif(name, ''), {q}, :opts), "
    "ts_headline('english', nullif(company, ''), {q}, :opts)) FROM customers WHERE id IN :ids",
}


def snippets(session: Session, terms: list[Term], rows: list[Row]) -> dict[tuple[str, int], str]:
    """Highlighted text of these hits, by (kind, id): matches between MARK_OPEN and MARK_CLOSE, not yet escaped."""
    out = {(r.kind, r.id): fragment(r.marked) for r in rows if r.marked is not None}
    missing: dict[str, list[int]] = {}
    for r in rows:
        if (r.kind, r.id) not in out:
            missing.setdefault(r.kind, []).append(r.id)
    if missing and _is_pg(session):
        q = tsquery_sql(terms)
        for kind, ids in missing.items():
            stmt = text(_PG_SNIPPETS[kind].format(q=q)).bindparams(bindparam("ids", expanding=True))
            params = {"ids": ids, "opts": _HEADLINE, "chars": _HEADLINE_CHARS}
            out |= {(kind, i): fragment(value or "") for i, value in session.execute(stmt, params)}
    return out


def fragment(marked: str, words: int = SNIPPET_WORDS) -> str:
    """About `words` words of `marked` around its first highlighted match, with ellipses where cut."""
    parts = marked.split()
    if len(parts) <= words:
        return " ".join(parts)
    first = next((i for i, p in enumerate(parts) if MARK_OPEN in p), 0)
    start = max(0, min(first - words // 4, len(parts) - words))
    end = start + words
    return (ELLIPSIS + " " if start else "") + " ".join(parts[start:end]) + (" " + ELLIPSIS if end < len(parts) else "")
