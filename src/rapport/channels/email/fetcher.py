"""Fetching an inbox's IMAP mailbox: `fetch_once` (a pass over what is new) and the watcher that repeats it.

A pass: SELECT the mailbox, compare UIDVALIDITY, list the UIDs above the last one stored with their sizes,
then for each batch (up to `batch_size` messages and 16 MB) fetch the bodies in one round trip, `ingest` them
in one transaction that also advances the stored position, and only then flag them \\Seen (or move them).
A crash before the commit leaves them unflagged and below no stored position: the next pass fetches them
again. A crash after the commit but before the flagging leaves them stored: the next pass flags them and
`ingest` skips them by their (mailbox, UIDVALIDITY, UID).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from rapport.channels.email import repository
from rapport.channels.email.imap import ImapClient
from rapport.channels.email.pipeline import Position, RawMail, ingest
from rapport.channels.email.settings import ImapSettings, parse
from rapport.config import get_settings
from rapport.db.session import Database
from rapport.kit.problems import Invalid, NotFound
from rapport.models import Inbox

log = logging.getLogger(__name__)
MAX_BATCH_BYTES = 16 * 1024 * 1024
HEADER_BYTES = 64 * 1024  # what is fetched of a mail over RAPPORT_EMAIL_MAX_MESSAGE_BYTES: its header, cut there


def lease_seconds() -> float:
    """How long a fetcher holds a mailbox without renewing (RAPPORT_EMAIL_LEASE_SECONDS)."""
    return get_settings().email_lease_seconds


@dataclass
class FetchStats:
    """What a pass did, by outcome."""

    fetched: int = 0
    message: int = 0
    duplicate: int = 0
    recorded: int = 0
    quarantined: int = 0
    skipped: int = 0
    batches: int = 0
    busy: bool = False  # another fetcher holds this mailbox's lease: nothing was fetched
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, outcomes) -> None:
        """Count a batch's outcomes."""
        self.batches += 1
        self.fetched += len(outcomes)
        for o in outcomes:
            setattr(self, o.outcome, getattr(self, o.outcome) + 1)
            if o.reason and o.outcome == "quarantined":
                self.reasons[o.reason] = self.reasons.get(o.reason, 0) + 1

    def as_dict(self) -> dict:
        """A plain dict (for JSON)."""
        return dict(self.__dict__)


def imap_settings(db: Database, inbox_id: int) -> ImapSettings:
    """The inbox's IMAP settings; NotFound or Invalid with a clear message when there are none."""
    with db.read() as session:
        inbox = session.get(Inbox, inbox_id)
        if inbox is None or inbox.channel != "email":
            raise NotFound(f"There is no email inbox {inbox_id}.")
        cfg = parse(inbox.settings).imap
    if cfg is None:
        raise Invalid(f"Email inbox {inbox_id} has no IMAP settings (settings.imap).")
    return cfg


def fetch_once(db: Database, inbox_id: int, *, batch_size: int | None = None) -> FetchStats:
    """Connect, store everything new in the inbox's mailbox, flag or move it, disconnect; returns the counts."""
    cfg = imap_settings(db, inbox_id)
    owner = f"once-{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    with ImapClient(cfg) as client:
        if not _lease(db, inbox_id, cfg.mailbox, owner):
            return FetchStats(busy=True)
        try:
            stats = fetch_pass(db, inbox_id, client, cfg, batch_size=batch_size, owner=owner)
        finally:
            with db.write() as session:
                repository.release_lease(session, inbox_id, cfg.mailbox, owner)
    stats.seconds = time.perf_counter() - started
    return stats


def _lease(db: Database, inbox_id: int, mailbox: str, owner: str) -> bool:
    with db.write() as session:
        return repository.take_lease(session, inbox_id, mailbox, owner, seconds=lease_seconds())


def fetch_pass(
    db: Database,
    inbox_id: int,
    client: ImapClient,
    cfg: ImapSettings,
    *,
    batch_size: int | None = None,
    owner: str | None = None,
) -> FetchStats:
    """One pass over a connected client's mailbox; `owner`'s lease is renewed after every batch."""
    stats = FetchStats()
    uidvalidity = client.select(cfg.mailbox)
    with db.write() as session:
        state = repository.mailbox(session, inbox_id, cfg.mailbox)
        if state.uidvalidity != uidvalidity:
            repository.reset(session, inbox_id, cfg.mailbox, uidvalidity)
            last_uid = 0
        else:
            last_uid = state.last_uid
    _finish_leftovers(client, cfg, last_uid)
    pending = client.sizes_after(last_uid)
    limit = get_settings().email_max_message_bytes
    for chunk in _chunks(pending, batch_size or cfg.batch_size):
        sizes = dict(chunk)
        # A mail over the size limit is never downloaded: its header is enough to quarantine it with the reason.
        bodies = client.fetch([uid for uid, size in chunk if size <= limit])
        bodies |= client.fetch_headers([uid for uid, size in chunk if size > limit], limit=HEADER_BYTES)
        uids = [uid for uid in sizes if uid in bodies]
        if not uids:
            continue
        mails = [
            RawMail(bodies[uid], mailbox=cfg.mailbox, uidvalidity=uidvalidity, uid=uid,
                    declared_size=sizes[uid] if sizes[uid] > limit else None)
            for uid in uids
        ]  # fmt: skip
        outcomes = ingest(db, inbox_id, mails, position=Position(cfg.mailbox, uidvalidity, max(sizes)))
        stats.add(outcomes)
        _after_commit(client, cfg, uids)
        if owner is not None and not _lease(db, inbox_id, cfg.mailbox, owner):
            break  # another fetcher took over (our lease ran out): leave the rest to it
    return stats


def _chunks(pending: list[tuple[int, int]], size: int):
    """Batches of (uid, size): up to `size` mails and MAX_BATCH_BYTES fetched (a mail too large counts its header)."""
    limit = get_settings().email_max_message_bytes
    chunk, total = [], 0
    for uid, nbytes in pending:
        fetched = min(nbytes, HEADER_BYTES) if nbytes > limit else nbytes
        if chunk and (len(chunk) >= size or total + fetched > MAX_BATCH_BYTES):
            yield chunk
            chunk, total = [], 0
        chunk.append((uid, nbytes))
        total += fetched
    if chunk:
        yield chunk


def _after_commit(client: ImapClient, cfg: ImapSettings, uids: list[int]) -> None:
    if cfg.move_to:
        client.move(uids, cfg.move_to)
    else:
        client.mark_seen(uids)


def _finish_leftovers(client: ImapClient, cfg: ImapSettings, last_uid: int) -> None:
    """Flag (or move) what an earlier pass stored but did not get to flag before it stopped."""
    if last_uid <= 0:
        return
    criteria = f"UID 1:{last_uid} UNDELETED" if cfg.move_to else f"UID 1:{last_uid} UNSEEN"
    leftovers = [uid for uid in client.uids(criteria) if uid <= last_uid]
    if leftovers:
        _after_commit(client, cfg, leftovers)


class MailboxWatcher(threading.Thread):
    """Keeps one inbox fetched: a pass, then IDLE (or a poll interval), again; reconnects with backoff.

    The mailbox lease (RAPPORT_EMAIL_LEASE_SECONDS) is renewed every third of it: IDLE and the poll wait are cut into
    slices that long, so a watcher that died is replaced within one lease. Mail that arrived during a pass is fetched
    by another pass at once rather than after the next IDLE.
    """

    def __init__(self, db: Database, inbox_id: int, *, max_backoff: float = 300.0, idle_seconds: float = 120.0):
        super().__init__(name=f"rapport-email-{inbox_id}", daemon=True)
        self.db, self.inbox_id = db, inbox_id
        self.max_backoff, self.idle_seconds = max_backoff, idle_seconds
        self.owner = f"{uuid.uuid4().hex[:16]}"
        self.stopping = threading.Event()
        self.passes = 0

    def idle_slice(self) -> float:
        """How long one IDLE (or poll wait) lasts before the lease is renewed."""
        return min(self.idle_seconds, lease_seconds() / 3)

    def run(self) -> None:  # noqa: D102
        backoff = 1.0
        while not self.stopping.is_set():
            try:
                self._session()
                backoff = 1.0
            except Exception as exc:  # noqa: BLE001  (any failure: wait, reconnect, try again)
                log.warning("email inbox %s: %s; retrying in %.0f s", self.inbox_id, exc, backoff)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    def _session(self) -> None:
        cfg = imap_settings(self.db, self.inbox_id)
        # Without IDLE the server is asked every poll_seconds; with it, a pass also runs every idle_seconds in case
        # a notification was missed.
        with ImapClient(cfg) as client:
            every = self.idle_seconds if cfg.idle and "IDLE" in client.capabilities else cfg.poll_seconds
            try:
                due, last = True, 0.0
                while not self.stopping.is_set():
                    if not _lease(self.db, self.inbox_id, cfg.mailbox, self.owner):
                        due = True  # when the lease comes to this watcher, it starts with a pass
                        self._wait(client, cfg)
                        continue
                    if due or time.monotonic() - last >= every:
                        stats = fetch_pass(self.db, self.inbox_id, client, cfg, owner=self.owner)
                        self.passes += 1
                        last = time.monotonic()
                        # Mail that arrived during the pass was announced in answers to its commands: IDLE will not
                        # announce it again, so go round at once.
                        due = stats.fetched > 0 or client.has_news()
                        if due:
                            continue
                    due = self._wait(client, cfg)
            finally:
                with self.db.write() as session:
                    repository.release_lease(session, self.inbox_id, cfg.mailbox, self.owner)

    def _wait(self, client: ImapClient, cfg: ImapSettings) -> bool:
        """Wait one slice; True when the server announced new mail."""
        if cfg.idle and "IDLE" in client.capabilities:
            return client.idle(self.idle_slice(), self.stopping)
        self.stopping.wait(min(cfg.poll_seconds, self.idle_slice()))
        client.noop()
        return client.has_news()

    def stop(self) -> None:
        """Finish the current batch and disconnect."""
        self.stopping.set()
