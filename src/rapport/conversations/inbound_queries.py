"""The lookups of receiving a batch, built once per dialect, with the batch's keys bound at execution.

On PostgreSQL a set of keys is one array parameter (`= ANY(…)`), so a statement's text is the same whatever
the batch's size: psycopg parses it once and PostgreSQL prepares it once per connection. Elsewhere it is an
expanding IN. Built per call, the statements cost more to assemble, key and expand than to run.

A pair of keys is matched as `a IN (…) AND b IN (…)`: a superset of the pairs that a two-column index answers,
which the callers then match exactly. A row-value `(a, b) IN (VALUES …)` would be exact, but SQLite answers it
with a full scan.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import ARRAY, Connection, any_, bindparam, select

from rapport.db.types import unbounded
from rapport.models import Conversation, Customer, IdempotencyKey, Identity, Inbox, Message
from rapport.models.enums import ACTIVE_STATUSES

C, M, ID, CU, IN, K = (t.__table__.c for t in (Conversation, Message, Identity, Customer, Inbox, IdempotencyKey))
# team_id: every event carries its conversation's inbox and team, known here without another read.
# first_reply_at: whether a person has replied, which decides if a customer's message starts a next-reply clock.
CONV_COLUMNS = (
    C.id,
    C.status,
    C.customer_id,
    C.inbox_id,
    C.team_id,
    C.merged_into_id,
    C.updated_at,
    C.reopen_count,
    C.solved_at,
    C.first_reply_at,
)
_ACTIVE = [s.value for s in ACTIVE_STATUSES]


def statements(conn: Connection) -> SimpleNamespace:
    """The lookups for the connection's dialect."""
    return _built(conn.dialect.name == "postgresql")


@lru_cache(maxsize=2)
def _built(pg: bool) -> SimpleNamespace:
    def among(column, name):
        if pg:
            return column == any_(bindparam(name, type_=ARRAY(unbounded(column.type))))
        return column.in_(bindparam(name, expanding=True))

    identities = (
        select(ID.kind, ID.address, ID.customer_id, CU.merged_into_id)
        .join_from(Identity.__table__, Customer.__table__, CU.id == ID.customer_id)
        .where(among(ID.kind, "kinds"), among(ID.address, "addresses"))
    )
    return SimpleNamespace(
        inboxes=select(IN.id, IN.channel, IN.team_id).where(among(IN.id, "ids")),
        stored_keys=select(K.scope, K.key, K.request_hash, K.response).where(
            among(K.scope, "scopes"), among(K.key, "keys")
        ),
        # Messages by provider id: a repeat of one seen before, or the one a reply answers
        seen=select(M.id, M.conversation_id, M.customer_id, M.inbox_id, M.external_id).where(
            among(M.inbox_id, "inbox_ids"), among(M.external_id, "external_ids")
        ),
        identities=identities,
        active=select(*CONV_COLUMNS)
        .where(among(C.customer_id, "customer_ids"), C.status.in_(_ACTIVE), C.merged_into_id.is_(None))
        .with_for_update(),
        by_id=select(*CONV_COLUMNS).where(among(C.id, "ids")).with_for_update(),
    )
