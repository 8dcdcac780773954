"""A small IMAP client over the standard library's imaplib: TLS, STARTTLS or plain (loopback only), batched UID
fetches that never set \\Seen, flagging or moving after the commit, and IDLE (imaplib in Python 3.11 has none).
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import select
import ssl
import threading
import time

from rapport.channels.email import connect
from rapport.channels.email.settings import ImapSettings, is_loopback
from rapport.kit import netguard

_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_EXISTS = re.compile(rb"^\* \d+ (EXISTS|RECENT)", re.IGNORECASE)


class ImapError(Exception):
    """The server refused a command or the connection failed."""


def sequence_set(uids: list[int]) -> str:
    """UIDs as an IMAP sequence set with ranges: [1, 2, 3, 7] -> '1:3,7'."""
    parts, run = [], []
    for uid in sorted(set(uids)):
        if run and uid == run[-1] + 1:
            run.append(uid)
            continue
        if run:
            parts.append(f"{run[0]}:{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [uid]
    if run:
        parts.append(f"{run[0]}:{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(parts)


def quote(mailbox: str) -> str:
    """A mailbox name as an IMAP quoted string."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying TLS context, trusting `ca_file` instead of the system store when given."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()


class ImapClient:
    """One logged-in connection to a mailbox server."""

    def __init__(self, cfg: ImapSettings):
        self.cfg = cfg
        self.imap: imaplib.IMAP4 | None = None
        self.capabilities: set[str] = set()

    def __enter__(self) -> ImapClient:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        """Open the connection the settings ask for, and log in."""
        cfg = self.cfg
        if cfg.security == "plain" and not is_loopback(cfg.host):
            raise ImapError(f"plain IMAP is only allowed to a loopback host, not '{cfg.host}'")
        try:
            # Through the SSRF guard, to the address it checked (channels/email/connect.py).
            self.imap = connect.imap(cfg, tls_context(cfg.ca_file) if cfg.security == "tls" else None)
            if cfg.security == "starttls":
                self.imap.starttls(ssl_context=tls_context(cfg.ca_file))
            self.imap.login(cfg.username, cfg.password)
            typ, data = self.imap.capability()
            self.capabilities = set(data[0].decode().upper().split()) if typ == "OK" and data else set()
        except (imaplib.IMAP4.error, OSError) as exc:
            self.close()
            raise ImapError(f"IMAP {cfg.host}:{cfg.port}: {exc}") from exc
        except netguard.Refused as exc:
            raise ImapError(f"IMAP {cfg.host}:{cfg.port}: {exc.detail}") from exc

    def close(self) -> None:
        """Log out, ignoring a connection that is already gone."""
        if self.imap is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                self.imap.logout()
            self.imap = None

    def _ok(self, typ: str, data, what: str):
        if typ != "OK":
            raise ImapError(f"{what} failed: {data!r}")
        return data

    def select(self, mailbox: str) -> int:
        """Open `mailbox` read-write; returns its UIDVALIDITY."""
        self._ok(*self.imap.select(quote(mailbox)), f"SELECT {mailbox}")
        self.has_news()  # what SELECT reported is what the pass that follows will list: not news
        _, data = self.imap.response("UIDVALIDITY")
        if not data or data[0] is None:
            raise ImapError(f"the server sent no UIDVALIDITY for {mailbox}")
        return int(data[0])

    def sizes_after(self, last_uid: int) -> list[tuple[int, int]]:
        """(uid, size) of every message with a UID above `last_uid`, in UID order."""
        data = self._ok(*self.imap.uid("FETCH", f"{last_uid + 1}:*", "(UID RFC822.SIZE)"), "FETCH sizes")
        out = {}
        for line in data:
            head = line[0] if isinstance(line, tuple) else line
            if not isinstance(head, bytes):
                continue
            uid, size = _UID.search(head), _SIZE.search(head)
            if uid and size and int(uid.group(1)) > last_uid:  # "n:*" also answers the highest UID below n
                out[int(uid.group(1))] = int(size.group(1))
        return sorted(out.items())

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """The raw bytes of the given messages, in one round trip; BODY.PEEK leaves \\Seen alone."""
        return self._literals(uids, "(UID BODY.PEEK[])", "FETCH bodies")

    def fetch_headers(self, uids: list[int], *, limit: int) -> dict[int, bytes]:
        """At most `limit` bytes of each message's header (a partial fetch): what a quarantine needs of a mail
        too large to download."""
        return self._literals(uids, f"(UID BODY.PEEK[HEADER]<0.{limit}>)", "FETCH headers")

    def _literals(self, uids: list[int], items: str, what: str) -> dict[int, bytes]:
        if not uids:
            return {}
        data = self._ok(*self.imap.uid("FETCH", sequence_set(uids), items), what)
        out: dict[int, bytes] = {}
        for i, item in enumerate(data):
            if not isinstance(item, tuple) or len(item) < 2:
                continue
            match = _UID.search(item[0])
            if match is None and i + 1 < len(data) and isinstance(data[i + 1], bytes):
                match = _UID.search(data[i + 1])  # the server put UID after the literal
            if match is not None:
                out[int(match.group(1))] = item[1]
        return out

    def uids(self, criteria: str) -> list[int]:
        """UIDs matching a SEARCH."""
        data = self._ok(*self.imap.uid("SEARCH", None, criteria), "SEARCH")
        return [int(x) for x in (data[0] or b"").split()]

    def mark_seen(self, uids: list[int]) -> None:
        """Flag messages \\Seen."""
        if uids:
            self._ok(*self.imap.uid("STORE", sequence_set(uids), "+FLAGS.SILENT", "(\\Seen)"), "STORE \\Seen")

    def move(self, uids: list[int], folder: str) -> None:
        """Move messages to `folder` (MOVE, else COPY + \\Deleted + expunge)."""
        if not uids:
            return
        where = sequence_set(uids)
        if "MOVE" in self.capabilities:
            self._ok(*self.imap.uid("MOVE", where, quote(folder)), f"MOVE to {folder}")
            return
        self._ok(*self.imap.uid("COPY", where, quote(folder)), f"COPY to {folder}")
        self._ok(*self.imap.uid("STORE", where, "+FLAGS.SILENT", "(\\Deleted)"), "STORE \\Deleted")
        if "UIDPLUS" in self.capabilities:
            self._ok(*self.imap.uid("EXPUNGE", where), "UID EXPUNGE")
        else:
            self._ok(*self.imap.expunge(), "EXPUNGE")

    def has_news(self) -> bool:
        """True when the server announced new mail (EXISTS) in an answer to an earlier command, e.g. during a pass.

        imaplib keeps such unsolicited responses aside; IDLE would not repeat them, so a watcher asks before it idles.
        """
        news = self.imap.untagged_responses
        news.pop("RECENT", None)
        return bool(news.pop("EXISTS", None))

    def noop(self) -> None:
        """Keep the connection alive and collect news."""
        self._ok(*self.imap.noop(), "NOOP")

    def idle(self, seconds: float, stop: threading.Event) -> bool:
        """Wait up to `seconds` in IDLE; True when the mailbox changed. Returns early when `stop` is set."""
        imap = self.imap
        tag = imap._new_tag()
        imap.send(tag + b" IDLE\r\n")
        while True:
            line = self._line()
            if line.startswith(b"+"):
                break
            if line.startswith(tag):
                raise ImapError(f"IDLE refused: {line!r}")
        changed = False
        deadline = time.monotonic() + seconds
        while not changed and not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if self._readable(min(left, 0.5)):
                changed = bool(_EXISTS.match(self._line()))
        imap.send(b"DONE\r\n")
        while True:
            line = self._line()
            if line.startswith(tag):
                imap.tagged_commands.pop(tag, None)
                if b" OK" not in line[:20].upper():
                    raise ImapError(f"IDLE ended badly: {line!r}")
                return changed
            changed |= bool(_EXISTS.match(line))

    def _line(self) -> bytes:
        line = self.imap.readline()
        if not line:
            raise ImapError("the IMAP server closed the connection")
        return line

    def _readable(self, timeout: float) -> bool:
        sock = self.imap.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        # A line may already sit in imaplib's read buffer (the server sent it with "+ idling"): select() would not
        # see it, so peek without blocking first.
        previous = sock.gettimeout()
        sock.setblocking(False)
        try:
            if self.imap.file.peek(1):
                return True
        except (TimeoutError, BlockingIOError, ssl.SSLWantReadError, InterruptedError):
            pass
        finally:
            sock.settimeout(previous)
        readable, _, _ = select.select([sock], [], [], timeout)
        return bool(readable)
