"""Session factory; the caller (a request or a job) owns the transaction, services never commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

# What runs after a write commits, with the events it recorded (events.bus registers its publisher here): db/
# knows no event module, so the two do not import each other.
_after_commit: list[Callable[[list], None]] = []


def after_commit(hook: Callable[[list], None]) -> None:
    """Call `hook(events)` after every write transaction that recorded events commits."""
    if hook not in _after_commit:
        _after_commit.append(hook)


class Database:
    """An engine with a read and a write session factory."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._writer_lock = getattr(engine, "rapport_writer_lock", None)
        write_bind = engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else engine
        # PostgreSQL reads run in autocommit: no BEGIN and ROLLBACK round trips around every page view. Each
        # statement still sees a consistent snapshot; a read of several statements may see a commit between them.
        read_bind = engine if self.is_sqlite else engine.execution_options(isolation_level="AUTOCOMMIT")
        self._read = sessionmaker(read_bind, expire_on_commit=False, autoflush=False)
        self._write = sessionmaker(write_bind, expire_on_commit=False, autoflush=False)

    @contextmanager
    def write(self, *, turn_held: bool = False) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error, events published after commit.

        `turn_held`: the caller is inside its own `writer_turn()` already, so the write does not wait again.
        """
        lock = self._writer_lock.hold() if self._writer_lock and not turn_held else nullcontext()
        with lock, self._write() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            committed = session.info.pop("events", [])
        if committed:
            for hook in _after_commit:
                hook(committed)

    def writer_turn(self):
        """Wait for this database's writer turn and keep it (SQLite; nothing to wait for on PostgreSQL).

        Writes inside it pass `turn_held=True`. The intake takes its turn before it gathers a batch, so whatever
        arrived while another process was writing joins this batch instead of waiting for the next.
        """
        return self._writer_lock.hold() if self._writer_lock else nullcontext()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work; closing ends its transaction and keeps loaded objects readable."""
        with self._read() as session:
            yield session
