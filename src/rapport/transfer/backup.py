"""A consistent backup of everything Rapport keeps: the database and the files of its data directory.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database page by page as one snapshot while
Rapport keeps running. PostgreSQL: `pg_dump --format=custom` (from PATH) reads a snapshot exported from the
transaction that counts the rows, so the counts in the manifest are those of the dump. Then the data directory's
files are copied: attachments and raw mail (named by content hash, written before the row that names them commits,
so every file the snapshot refers to exists) and the generated secret key (sessions and signed links).

`manifest.json` lists the row count of every table and every file with its size; `restore` puts both back and
checks them against it. A backup holds secrets (the key, customer data): keep it like the database itself.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from rapport import __version__
from rapport.config import Settings
from rapport.db.session import Database
from rapport.kit.clock import now

MANIFEST = "manifest.json"
SQLITE_FILE = "rapport.db"
PG_FILE = "rapport.dump"
FILE_DIRS = ("attachments", "mail")  # under the data directory
KEY_FILE = "secret.key"


class BackupFailed(Exception):
    """The backup or restore could not be made; the message says why and what to do."""


@dataclass
class Report:
    """What a backup or restore holds: rows per table and files (path relative to the data directory -> bytes)."""

    database: str
    tables: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)


def backup(db: Database, settings: Settings, target: Path) -> Report:
    """Write a backup of the database and the data directory's files into the new or empty directory `target`."""
    if target.exists() and any(target.iterdir()):
        raise BackupFailed(f"{target} is not empty; back up into a new directory.")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # it holds the secret key and every customer's data
    if db.is_sqlite:
        report = Report("sqlite", tables=_sqlite_backup(db, target / SQLITE_FILE))
    else:
        report = Report("postgresql", tables=_pg_dump(db, target / PG_FILE))
    report.files = _copy_files(settings.data_dir, target / "files")
    manifest = {
        "rapport": __version__,
        "created_at": now().isoformat(),
        "database": report.database,
        "tables": report.tables,
        "files": report.files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return report


def restore(db: Database, settings: Settings, source: Path, *, force: bool = False) -> Report:
    """Put a backup back: the database (an empty one unless `force`) and the files, checked against the manifest."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupFailed(f"{source} is not a Rapport backup (no readable {MANIFEST}): {exc}") from None
    kind = "sqlite" if db.is_sqlite else "postgresql"
    if manifest["database"] != kind:
        raise BackupFailed(
            f"The backup is of a {manifest['database']} database but RAPPORT_DATABASE_URL points at {kind}; "
            "move data between them with `rapport export` / `rapport import`."
        )
    if not force and _has_rows(db):
        raise BackupFailed("The database already holds data; restore into an empty one, or pass --force to replace it.")
    if db.is_sqlite:
        _sqlite_restore(db, source / SQLITE_FILE)
    else:
        _pg_restore(db, source / PG_FILE)
    _restore_files(source / "files", settings.data_dir)
    report = Report(kind, tables=_counts_of(db), files=_files_under(settings.data_dir))
    wrong = {t: (n, report.tables.get(t)) for t, n in manifest["tables"].items() if report.tables.get(t) != n}
    missing = [p for p, size in manifest["files"].items() if report.files.get(p) != size]
    if wrong or missing:
        raise BackupFailed(f"The restore does not match the backup: tables {wrong}, files {missing[:10]}.")
    return report


def _tables(conn: Connection) -> list[str]:
    # Rapport's own tables, not SQLite's FTS5 shadow tables (they are rebuilt from their content by the backup).
    names = inspect(conn).get_table_names()
    return sorted(n for n in names if not n.startswith("sqlite_") and "_fts_" not in n and not n.endswith("_fts"))


def _count(conn: Connection) -> dict[str, int]:
    return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in _tables(conn)}  # noqa: S608


def _counts_of(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return _count(conn)


def _has_rows(db: Database) -> bool:
    counts = _counts_of(db)
    return any(n for t, n in counts.items() if t != "alembic_version")


def _sqlite_backup(db: Database, path: Path) -> dict[str, int]:
    """SQLite's online backup into `path`; the counts are read from the copy, so they are the copy's."""
    raw = db.engine.raw_connection()
    try:
        with sqlite3.connect(path) as copy:
            raw.driver_connection.backup(copy)
    finally:
        raw.close()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return _count(conn)
    finally:
        engine.dispose()


def _sqlite_restore(db: Database, path: Path) -> None:
    """Copy the backup into the configured database with the backup API (its WAL and readers stay consistent)."""
    if not path.is_file():
        raise BackupFailed(f"The backup has no {SQLITE_FILE}.")
    db.engine.dispose()
    raw = db.engine.raw_connection()
    try:
        with sqlite3.connect(path) as source:
            source.backup(raw.driver_connection)
    finally:
        raw.close()
    db.engine.dispose()


def _pg_url(db: Database) -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupFailed(
            f"{name} is not on PATH. Install the PostgreSQL client tools (the same major version as the server), "
            "or run the commands in docs/backup.md by hand."
        )
    return found


def _pg_dump(db: Database, path: Path) -> dict[str, int]:
    """pg_dump of the snapshot the row counts were read in (exported from a REPEATABLE READ transaction)."""
    pg_dump = _tool("pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = _count(conn)
        cmd = [pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={path}", _pg_url(db)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"pg_dump failed: {done.stderr.strip()[:2000]}")
    return counts


def _pg_restore(db: Database, path: Path) -> None:
    """pg_restore into the configured database, replacing what the dump holds."""
    pg_restore = _tool("pg_restore")
    if not path.is_file():
        raise BackupFailed(f"The backup has no {PG_FILE}.")
    db.engine.dispose()  # no pooled connection may hold a lock on a table being replaced
    cmd = [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={_pg_url(db)}"]
    done = subprocess.run([*cmd, str(path)], capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"pg_restore failed: {done.stderr.strip()[:2000]}")


def _files_under(data_dir: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in FILE_DIRS:
        root = data_dir / name
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    out[path.relative_to(data_dir).as_posix()] = path.stat().st_size
    key = data_dir / KEY_FILE
    if key.is_file():
        out[KEY_FILE] = key.stat().st_size
    return out


def _copy_files(data_dir: Path, target: Path) -> dict[str, int]:
    files = _files_under(data_dir)
    for rel in files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(data_dir / rel, dest)
    return files


def _restore_files(source: Path, data_dir: Path) -> None:
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        if path.is_file():
            dest = data_dir / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
