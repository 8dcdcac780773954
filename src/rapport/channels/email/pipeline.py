"""The email pipeline: raw mails in; messages, or receipts with a reason, out. Every way mail arrives (IMAP,
SMTP, tests, the benchmark) goes through `ingest`.

A batch is parsed first (no database), its raw bytes are written to disk by hash, and then one transaction does
everything else with a statement per step for the whole batch: skip IMAP messages already stored, screen
(unreadable, oversized, no sender, loop), deduplicate (Message-ID, else a hash of the mail), authenticate the
sender (`authres`: a From the inbox's trusted server does not authenticate never joins an existing conversation),
thread (In-Reply-To and References, the signed reply token, `[#number]`), keep auto-replies and bounces off the
conversations, apply the per-sender rate limit, receive the rest with `receive_batch`, and write one receipt per
mail (with the IMAP position, so a crash before the commit loses nothing and a repeat after it duplicates nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from rapport.channels.email import authres, repository, tokens
from rapport.channels.email import settings as email_settings
from rapport.channels.email.parse import Parsed
from rapport.channels.email.readers import read
from rapport.config import get_settings
from rapport.conversations import delivery
from rapport.conversations.inbound import Inbound, Received, receive_batch
from rapport.conversations.lifecycle import merges
from rapport.db.session import Database
from rapport.events.outbox import record_many
from rapport.kernel.permissions import SYSTEM
from rapport.kit import blobs
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, NotFound, Problem, TooLarge
from rapport.models import Conversation, EmailReceipt, Identity, Inbox, Message
from rapport.models.enums import DeliveryStatus, Direction

R, M, C, ID = EmailReceipt.__table__.c, Message.__table__.c, Conversation.__table__.c, Identity.__table__.c
_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,18})\]")
_PERSON = ("normal", "bulk")
_CHUNK = 2000  # values per IN (…): far below SQLite's and PostgreSQL's limits


@dataclass
class RawMail:
    """One mail as it arrived: its bytes and, from IMAP, where it lies (mailbox, UIDVALIDITY, UID)."""

    raw: bytes
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    source: str = "imap"
    # Set when the mail was over RAPPORT_EMAIL_MAX_MESSAGE_BYTES on the server: `raw` is then only its header.
    declared_size: int | None = None


@dataclass
class Outcome:
    """What became of a mail: message, duplicate, recorded, quarantined, or skipped (already stored)."""

    outcome: str
    reason: str | None = None
    detail: str | None = None
    message_id: int | None = None
    conversation_id: int | None = None
    new_conversation: bool = False


@dataclass(frozen=True)
class Position:
    """How far a mailbox has been stored: written in the same transaction as the batch."""

    mailbox: str
    uidvalidity: int
    last_uid: int


@dataclass(eq=False)
class _Item:
    mail: RawMail
    p: Parsed
    outcome: Outcome | None = None
    external_id: str | None = None
    duplicate_of: _Item | None = None
    conversation_id: int | None = None
    candidates: list[int] = field(default_factory=list)
    bounced_message: int | None = None
    auth: authres.Verdict | None = None


def ingest(db: Database, inbox_id: int, mails: list[RawMail], *, position: Position | None = None) -> list[Outcome]:
    """Parse, keep the raw bytes, and receive a batch in one transaction; one outcome per mail, in order."""
    parsed = [read(m.raw) for m in mails]  # all the CPU a mail costs, before the transaction (readers.py)
    for mail, p in zip(mails, parsed, strict=True):
        if mail.declared_size is not None:
            _oversized_on_server(p, mail.declared_size)
    root = get_settings().mail_dir
    for p in parsed:
        blobs.store(root, p.raw)  # on disk before the commit, so before \Seen or a move
    return _store(db, inbox_id, mails, parsed, position)


def _store(db: Database, inbox_id: int, mails: list[RawMail], parsed: list[Parsed], position) -> list[Outcome]:
    error: DBAPIError | None = None
    for _ in range(3):
        try:
            with db.write() as session:
                outcomes = receive(session, inbox_id, mails, parsed)
                if position is not None:
                    repository.advance(session, inbox_id, position)
            return outcomes
        except DBAPIError as exc:
            # Another writer won a race (the same new customer, the same mail): look again with its rows visible.
            error = exc
    if isinstance(error, (OperationalError, InterfaceError)) or not mails:
        raise error  # the database is away: nothing is flagged, the next pass tries again
    if len(mails) > 1:
        # Something in the batch keeps failing: halve it, so one mail's trouble never holds up the others.
        half = len(mails) // 2
        first = _store(db, inbox_id, mails[:half], parsed[:half], None)
        return first + _store(db, inbox_id, mails[half:], parsed[half:], position)
    with db.write() as session:
        outcome = _unstorable(session, inbox_id, mails[0], parsed[0], error)
        if position is not None:
            repository.advance(session, inbox_id, position)
    return [outcome]


def _unstorable(session: Session, inbox_id: int, mail: RawMail, p: Parsed, error: DBAPIError) -> Outcome:
    """A mail the database refuses (it passed every check, so it is a bug to look into): kept in quarantine."""
    outcome = Outcome("quarantined", reason="refused", detail=f"The database refused it: {error.orig!r}"[:500])
    item = _Item(mail, p, outcome=outcome)
    item.p = Parsed(raw=p.raw, sha256=p.sha256, content_hash=p.content_hash)  # only what cannot be at fault
    _write_receipts(session.connection(), session.get(Inbox, inbox_id), [item], now())
    return outcome


def receive(session: Session, inbox_id: int, mails: list[RawMail], parsed: list[Parsed]) -> list[Outcome]:
    """Every step after parsing, in the caller's transaction."""
    inbox = session.get(Inbox, inbox_id)
    if inbox is None or inbox.channel != "email":
        raise NotFound(f"There is no email inbox {inbox_id}.")
    conn = session.connection()
    items = [_Item(mail, p) for mail, p in zip(mails, parsed, strict=True)]
    stamp = now()
    _skip_stored(conn, inbox, items)
    for item in _live(items):
        _screen(item, inbox)
    _dedupe(conn, inbox, _live(items))
    _authenticate(inbox, _live(items))
    _thread(conn, inbox, _live(items))
    _not_from_a_person(session, _live(items))
    _rate_limit(conn, inbox, [i for i in _live(items) if i.p.kind in _PERSON], stamp)
    _receive(session, inbox, [i for i in _live(items) if i.p.kind in _PERSON])
    for item in items:
        if item.outcome is None and item.duplicate_of is not None:
            first = item.duplicate_of.outcome
            item.outcome = Outcome(
                "duplicate",
                detail="the same mail came twice in one batch",
                message_id=first.message_id if first else None,
                conversation_id=first.conversation_id if first else None,
            )
    _write_receipts(conn, inbox, items, stamp)
    return [item.outcome for item in items]


def _live(items: list[_Item]) -> list[_Item]:
    return [i for i in items if i.outcome is None and i.duplicate_of is None]


def _quarantine(item: _Item, reason: str, detail: str, conversation_id: int | None = None) -> None:
    item.outcome = Outcome("quarantined", reason=reason, detail=detail[:500], conversation_id=conversation_id)


def _in(column, values) -> list:
    values = list(values)
    return [column.in_(values[i : i + _CHUNK]) for i in range(0, len(values), _CHUNK)]


def _skip_stored(conn, inbox: Inbox, items: list[_Item]) -> None:
    located = [i for i in items if i.mail.uid is not None]
    if not located:
        return
    stored = set()
    for (mailbox, validity), group in _group(located, lambda i: (i.mail.mailbox, i.mail.uidvalidity)).items():
        for condition in _in(R.uid, {i.mail.uid for i in group}):
            rows = conn.execute(
                select(R.uid).where(R.inbox_id == inbox.id, R.mailbox == mailbox, R.uidvalidity == validity, condition)
            )
            stored |= {(mailbox, validity, r.uid) for r in rows}
    for item in located:
        where = (item.mail.mailbox, item.mail.uidvalidity, item.mail.uid)
        if where in stored:
            item.outcome = Outcome("skipped", detail="already stored from this mailbox position")
        stored.add(where)


def _oversized_on_server(p: Parsed, size: int) -> None:
    limit = get_settings().email_max_message_bytes
    p.server_size = size
    p.refused = (
        "oversized",
        f"The mail is {size} bytes on the server; the limit is {limit} bytes (RAPPORT_EMAIL_MAX_MESSAGE_BYTES). "
        "Only its header was fetched and is kept here; the mail stays in the mailbox.",
    )


def _group(items, key) -> dict:
    groups: dict = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _screen(item: _Item, inbox: Inbox) -> None:
    p, limit = item.p, get_settings().email_max_message_bytes
    own = (inbox.address or "").strip().lower()
    if p.error:
        _quarantine(item, "unparseable", p.error)
    elif p.refused:
        _quarantine(item, *p.refused)
    elif p.size > limit:
        _quarantine(
            item,
            "oversized",
            f"The mail is {p.size} bytes; the limit is {limit} bytes (RAPPORT_EMAIL_MAX_MESSAGE_BYTES).",
        )
    elif p.sender is None:
        _quarantine(item, "no_sender", "The mail has no valid From address.")
    elif p.kind == "loop":
        _quarantine(item, "loop", f"A mail loop: {p.why}.")
    elif own and p.sender == own:
        _quarantine(item, "loop", f"A mail loop: it comes from this inbox's own address {own}.")
    elif own and own in " ".join(p.x_loop):
        _quarantine(item, "loop", f"A mail loop: its X-Loop header names this inbox ({own}).")


def _dedupe(conn, inbox: Inbox, items: list[_Item]) -> None:
    """A Message-ID seen before with the same content is a repeat; with other content, a reused id."""
    ids = {i.p.message_id for i in items if i.p.message_id}
    hashes = {i.p.content_hash for i in items if not i.p.message_id}
    by_id: dict[str, list] = {}
    by_hash: dict[str, object] = {}
    existing: dict[str, object] = {}
    columns = (R.rfc_message_id, R.content_hash, R.message_id, R.conversation_id)
    if ids:
        for condition in _in(R.rfc_message_id, ids):
            for r in conn.execute(select(*columns).where(R.inbox_id == inbox.id, condition)):
                by_id.setdefault(r.rfc_message_id, []).append(r)
        for condition in _in(M.external_id, ids):
            for r in conn.execute(
                select(M.id, M.conversation_id, M.external_id).where(M.inbox_id == inbox.id, condition)
            ):
                existing[r.external_id] = r
    if hashes:
        for condition in _in(R.content_hash, hashes):
            rows = conn.execute(select(*columns).where(R.inbox_id == inbox.id, R.rfc_message_id.is_(None), condition))
            for r in rows:
                by_hash.setdefault(r.content_hash, r)
    seen: dict[tuple, _Item] = {}
    seen_ids: set[str] = set()
    for item in items:
        mid, digest = item.p.message_id, item.p.content_hash
        earlier = seen.get((mid, digest))
        if earlier is not None:
            item.duplicate_of = earlier
            continue
        seen[(mid, digest)] = item
        if mid is None:
            row = by_hash.get(digest)
            if row is not None:
                _duplicate(item, row.message_id, row.conversation_id)
            else:
                item.external_id = f"sha256:{digest}"
            continue
        prior = by_id.get(mid, [])
        same = next((r for r in prior if r.content_hash == digest), None)
        if same is not None:
            _duplicate(item, same.message_id, same.conversation_id)
        elif prior or mid in seen_ids:
            item.external_id = f"{mid}#{digest[:16]}"  # a reused Message-ID: another mail, told apart by its hash
        elif mid in existing:
            _duplicate(item, existing[mid].id, existing[mid].conversation_id)
        else:
            item.external_id = mid
        seen_ids.add(mid)


def _duplicate(item: _Item, message_id: int | None, conversation_id: int | None) -> None:
    item.outcome = Outcome(
        "duplicate", detail="this mail was received before", message_id=message_id, conversation_id=conversation_id
    )


def _authenticate(inbox: Inbox, items: list[_Item]) -> None:
    """Sender authentication of each person's mail; one its inbox does not trust is quarantined or set apart."""
    try:
        cfg = email_settings.parse(inbox.settings)
    except Invalid:
        cfg = email_settings.EmailSettings()  # stored settings are checked when saved; this is only a fallback
    trusted = frozenset(cfg.trusted_authserv_ids)
    for item in items:
        if item.p.kind not in _PERSON:
            continue
        item.auth = authres.verdict(item.p.auth_results, item.p.sender, trusted)
        if item.auth.status == "fail" and cfg.unverified_sender == "quarantine":
            _quarantine(
                item,
                "unverified_sender",
                f"The sender {item.p.sender} is not authenticated: {item.auth.reason}. "
                "Its From may be forged, so it joins no conversation.",
            )


def _unverified(item: _Item) -> bool:
    return item.auth is not None and item.auth.status == "fail"


def _thread(conn, inbox: Inbox, items: list[_Item]) -> None:
    """Candidate conversations in order (replied-to message, reply token, [#number]); keep the sender's own."""
    wanted_refs = {ref for i in items for ref in _refs(i)}
    by_ref: dict[str, int] = {}
    for condition in _in(M.external_id, wanted_refs):
        rows = conn.execute(select(M.external_id, M.conversation_id).where(M.inbox_id == inbox.id, condition))
        by_ref.update({r.external_id: r.conversation_id for r in rows})
    for item in items:
        found: list[int] = []
        for ref in _refs(item):
            token = tokens.read(ref)
            for conv in (by_ref.get(ref), token.conversation_id if token else None):
                if conv is not None and conv not in found:
                    found.append(conv)
            if token and item.p.kind == "bounce" and item.bounced_message is None:
                item.bounced_message = token.message_id
        number = _SUBJECT_NUMBER.search(item.p.subject)
        if number and int(number.group(1)) not in found:
            found.append(int(number.group(1)))
        item.candidates = found
    surviving = _surviving(conn, {c for i in items for c in i.candidates})
    owners = _customers(conn, {i.p.sender for i in items if i.p.kind in _PERSON and i.candidates})
    for item in items:
        convs = [surviving[c] for c in item.candidates if c in surviving]
        if _unverified(item):
            item.conversation_id = None  # a new conversation, flagged: see _inbound
        elif item.p.kind in _PERSON:
            # Only a conversation of the sender's own: a forged or forwarded reference never posts elsewhere.
            item.conversation_id = merges.own(convs, owners.get(item.p.sender))
        else:
            item.conversation_id = convs[0][0] if convs else None


def _refs(item: _Item) -> list[str]:
    refs = item.p.refs
    if item.p.bounce is not None:
        refs = [*item.p.bounce.returned_ids, *refs]
    return refs


def _surviving(conn, ids: set[int]) -> dict[int, tuple[int, int]]:
    """conversation id -> (the conversation it survives as after merges, its customer)."""

    def fetch(todo: set[int]) -> list:
        fetched = []
        for condition in _in(C.id, todo):
            fetched += conn.execute(select(C.id, C.customer_id, C.merged_into_id).where(condition)).all()
        return fetched

    rows = merges.follow(fetch, ids)
    out = {}
    for cid in ids:
        row = merges.surviving(rows, cid)
        if row is not None:
            out[cid] = (row.id, row.customer_id)
    return out


def _customers(conn, addresses: set) -> dict[str, int]:
    addresses = {a for a in addresses if a}
    out: dict[str, int] = {}
    for condition in _in(ID.address, addresses):
        rows = conn.execute(select(ID.address, ID.customer_id).where(ID.kind == "email", condition))
        out.update({r.address: r.customer_id for r in rows})
    return out


def _not_from_a_person(session: Session, items: list[_Item]) -> None:
    """Auto-replies, reports and bounces never become messages: kept on their conversation, else quarantined."""
    for item in items:
        p = item.p
        if p.kind in _PERSON:
            continue
        what = {"bounce": "a bounce", "report": "a report", "auto_reply": "an automatic reply"}[p.kind]
        detail = p.bounce.detail if p.bounce else p.why
        if item.conversation_id is None:
            _quarantine(item, p.kind, f"{what[0].upper()}{what[1:]} ({detail}) that answers no conversation here.")
            continue
        item.outcome = Outcome(
            "recorded", reason=p.kind, detail=f"{what}: {detail}"[:500], conversation_id=item.conversation_id
        )
        if p.bounce is not None and p.bounce.action == "failed" and item.bounced_message:
            _mark_failed(session, item.bounced_message, p.bounce.detail)


def _mark_failed(session: Session, message_id: int, detail: str) -> None:
    message = session.get(Message, message_id)
    sent = (DeliveryStatus.queued, DeliveryStatus.sent, DeliveryStatus.delivered)
    if message is None or message.direction != Direction.outbound or message.delivery_status not in sent:
        return
    delivery.set_status(session, message, DeliveryStatus.failed.value, error=f"bounced: {detail}")


def _rate_limit(conn, inbox: Inbox, items: list[_Item], stamp) -> None:
    limit = get_settings().email_max_per_sender_per_hour
    if not limit or not items:
        return
    counts: dict[str, int] = {}
    senders = {i.p.sender for i in items}
    for condition in _in(R.sender, senders):
        rows = conn.execute(
            select(R.sender, func.count())
            .where(
                R.inbox_id == inbox.id, condition, R.created_at >= stamp - timedelta(hours=1), R.outcome == "message"
            )
            .group_by(R.sender)
        )
        counts.update({r[0]: r[1] for r in rows})
    for item in items:
        sender = item.p.sender
        if counts.get(sender, 0) >= limit:
            _quarantine(
                item,
                "rate_limited",
                f"{sender} sent more than {limit} mails to this inbox within an hour "
                f"(RAPPORT_EMAIL_MAX_PER_SENDER_PER_HOUR={limit}).",
            )
        else:
            counts[sender] = counts.get(sender, 0) + 1


def _receive(session: Session, inbox: Inbox, items: list[_Item]) -> None:
    items = [i for i in items if i.outcome is None]
    if not items:
        return
    batch = [(SYSTEM, _inbound(inbox, item)) for item in items]
    flagged = []
    for item, result in zip(items, receive_batch(session, batch), strict=True):
        if isinstance(result, Received):
            item.outcome = Outcome(
                "duplicate" if result.duplicate else "message",
                message_id=result.message_id,
                conversation_id=result.conversation_id,
                new_conversation=result.new_conversation,
            )
            if _unverified(item) and not result.duplicate:
                ids = {k: getattr(result, k) for k in ("conversation_id", "customer_id", "message_id")}
                auth = {"address": item.p.sender, "reason": item.auth.reason, "authserv_id": item.auth.authserv_id}
                flagged.append(("conversation.sender_unverified", SYSTEM, ids, auth))
        else:
            _refused(item, result)
    record_many(session, flagged)  # on the timeline, next to the message, and to webhooks


def _refused(item: _Item, problem: Problem) -> None:
    reason = "oversized" if isinstance(problem, TooLarge) else "refused"
    if isinstance(problem, Invalid) and "attachments" in problem.detail:
        reason = "oversized"
    _quarantine(item, reason, problem.detail)


def _inbound(inbox: Inbox, item: _Item) -> Inbound:
    p = item.p
    text = p.text if p.text and p.text.strip() else None
    if not (text or p.html or p.files):
        text = "(empty message)"
    meta: dict = {
        "email": {
            "message_id": p.message_id,
            "from": p.sender,
            "reply_to": p.reply_to,
            "to": p.to,
            "cc": p.cc,
            "date": p.date,
            "in_reply_to": p.in_reply_to[0] if p.in_reply_to else None,
            "references": p.references,
            "raw_sha256": p.sha256,
            "size": p.size,
            "kind": p.kind,
            "auth": item.auth.as_meta() if item.auth else None,
        }
    }
    if p.kind == "bulk":
        meta["no_auto_reply"] = True  # a mailing: rules must never answer it automatically
    return Inbound(
        inbox_id=inbox.id,
        sender_kind="email",
        sender_address=p.sender,
        sender_name=p.sender_name or None,
        subject=p.subject,
        text=text,
        html=p.html,
        html_sanitized=p.html_sanitized,
        external_id=item.external_id,
        conversation_id=item.conversation_id,
        channel="email",
        meta=meta,
        files=p.files,
        unverified_sender=_unverified(item),
    )


def _write_receipts(conn, inbox: Inbox, items: list[_Item], stamp) -> None:
    rows = [
        {
            "inbox_id": inbox.id,
            "source": item.mail.source[:8],
            "mailbox": item.mail.mailbox,
            "uidvalidity": item.mail.uidvalidity,
            "uid": item.mail.uid,
            "raw_sha256": item.p.sha256,
            "raw_size": item.p.size,
            "rfc_message_id": item.p.message_id,
            "content_hash": item.p.content_hash,
            "sender": item.p.sender,
            "subject": item.p.subject[:500] or None,
            "outcome": item.outcome.outcome,
            "reason": item.outcome.reason,
            "detail": item.outcome.detail,
            "message_id": item.outcome.message_id,
            "conversation_id": item.outcome.conversation_id,
            "created_at": stamp,
        }
        for item in items
        if item.outcome.outcome != "skipped"
    ]
    if rows:
        conn.execute(insert(EmailReceipt.__table__), rows)
