"""`rapport backup` / `rapport restore`: a consistent database and its files, restored into a fresh data directory
and compared table by table (row counts) and file by file (bytes) with what was backed up.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import text

from rapport.config import Settings, use_settings
from rapport.db.engine import make_engine
from rapport.db.session import Database
from rapport.transfer import backup as backups
from tests.conftest import inbound

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _content(client, world) -> None:
    """Conversations with attachments, events, and (from `world`) API tokens."""
    for n in range(3):
        inbound(
            client,
            world.agent_token,
            world.email_inbox.id,
            address=f"c{n}@customer.test",
            text=f"Message {n}",
            attachments=[
                {
                    "filename": f"f{n}.png",
                    "content_type": "image/png",
                    "data": base64.b64encode(PNG + bytes([n])).decode(),
                }
            ],
        )


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for name in ("attachments", "mail")
        if (root / name).is_dir()
        for p in (root / name).rglob("*")
        if p.is_file()
    }


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return backups._count(conn)


def test_a_backup_restores_into_a_fresh_data_dir_with_every_row_and_file(client, db, world, settings, tmp_path):
    _content(client, world)
    before, files_before = _counts(db), _files(settings.data_dir)
    assert before["attachments"] == 3 and before["api_tokens"] >= 4 and before["events"] > 0
    assert len([f for f in files_before if f.startswith("attachments/")]) == 3
    report = backups.backup(db, settings, tmp_path / "backup")
    assert report.tables == before

    fresh = use_settings(Settings(data_dir=tmp_path / "restored", secret_key="test-secret"))
    if db.is_sqlite:
        target = Database(make_engine(f"sqlite:///{fresh.data_dir / 'rapport.db'}"))
        fresh.data_dir.mkdir(parents=True)
    else:
        # The same PostgreSQL database (the test's own), emptied after the backup: pg_restore puts it all back.
        target = db
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM attachments"))
            conn.execute(text("DELETE FROM api_tokens"))
    try:
        restored = backups.restore(target, fresh, tmp_path / "backup", force=target is db)
        assert restored.tables == before == _counts(target)
        assert _files(fresh.data_dir) == files_before
    finally:
        if target is not db:
            target.engine.dispose()


def test_a_restore_refuses_a_database_that_holds_data(client, db, world, settings, tmp_path):
    _content(client, world)
    backups.backup(db, settings, tmp_path / "backup")
    with pytest.raises(backups.BackupFailed, match="already holds data"):
        backups.restore(db, settings, tmp_path / "backup")


def test_a_backup_goes_into_a_new_directory(db, settings, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(backups.BackupFailed, match="not empty"):
        backups.backup(db, settings, tmp_path / "full")


def test_export_does_not_claim_to_be_everything():
    from rapport.cli_data import export_command

    assert "everything" not in export_command.__doc__.lower() and "rapport backup" in export_command.__doc__
