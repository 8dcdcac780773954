"""The email channel inside `rapport serve`: a watcher per active email inbox with IMAP settings (started and
stopped as inboxes change), and the SMTP receiver when RAPPORT_EMAIL_SMTP_LISTEN is set.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import orjson

from rapport.channels.email import repository
from rapport.channels.email.fetcher import MailboxWatcher
from rapport.config import get_settings
from rapport.db.outage import REPORTS, is_unavailable
from rapport.db.session import Database

log = logging.getLogger(__name__)


class EmailRuntime(threading.Thread):
    """Looks at the email inboxes every `refresh` seconds and keeps one watcher running per fetching inbox."""

    def __init__(self, db: Database, *, refresh: float = 30.0):
        super().__init__(name="rapport-email", daemon=True)
        self.db, self.refresh = db, refresh
        self.watchers: dict[int, tuple[str, MailboxWatcher]] = {}
        self._stopping = threading.Event()
        self.smtp = None
        self.started = threading.Event()  # set once the SMTP receiver (if any) was started or given up on

    def run(self) -> None:  # noqa: D102
        listen = get_settings().email_smtp_listen
        if listen:
            from rapport.channels.email.smtp_in import SmtpReceiver

            try:
                self.smtp = SmtpReceiver.from_listen(self.db, listen)
                self.smtp.start()
            except Exception:  # noqa: BLE001  (fetching goes on without the SMTP listener)
                log.exception("could not start the SMTP receiver on %s", listen)
                self.smtp = None
        self.started.set()
        while not self._stopping.is_set():
            try:
                self.sync()
            except Exception as exc:  # noqa: BLE001  (a database hiccup must not end the loop)
                if is_unavailable(exc):
                    REPORTS.report(exc, where="email inboxes")
                else:
                    log.exception("email inboxes could not be read")
            self._stopping.wait(self.refresh)

    def sync(self) -> None:
        """Start watchers for new or changed inboxes, stop those of removed or deactivated ones."""
        wanted: dict[int, str] = {}
        with self.db.read() as session:
            for inbox in repository.email_inboxes(session):
                if (inbox.settings or {}).get("imap"):
                    wanted[inbox.id] = hashlib.sha256(
                        orjson.dumps(inbox.settings, option=orjson.OPT_SORT_KEYS)
                    ).hexdigest()
        for inbox_id, (digest, watcher) in list(self.watchers.items()):
            if wanted.get(inbox_id) != digest or not watcher.is_alive():
                watcher.stop()
                del self.watchers[inbox_id]
        for inbox_id, digest in wanted.items():
            if inbox_id not in self.watchers:
                watcher = MailboxWatcher(self.db, inbox_id)
                watcher.start()
                self.watchers[inbox_id] = (digest, watcher)

    def stop(self) -> None:
        """Stop every watcher and the SMTP receiver."""
        self._stopping.set()
        for _, watcher in self.watchers.values():
            watcher.stop()
        deadline = time.monotonic() + 5
        for _, watcher in self.watchers.values():
            watcher.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.smtp is not None:
            self.smtp.stop()
