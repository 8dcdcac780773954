"""`rapport export` leaves channel secrets out unless --include-secrets is given (and then warns)."""

from __future__ import annotations

import stat

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

from rapport.cli import app, database, settings_for
from rapport.cli_data import register
from rapport.db.migrate import upgrade
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Inbox
from rapport.transfer.export import export_jsonl
from rapport.transfer.importer import import_file
from tests.transfer.helpers import empty

SECRETS = (
    "twilio-secret-token-1",
    "EAAwhatsapp-access",
    "meta-app-secret-2",
    "hub-verify-3",
    "imap-pass-4",
    "smtp-pass-5",
)


def _inboxes(db) -> None:
    with db.write() as s:
        inboxes.create(
            s,
            SYSTEM,
            name="SMS",
            channel="sms",
            settings={"account_sid": "AC" + "a1" * 16, "auth_token": SECRETS[0], "phone_number": "+14155550100"},
        )
        inboxes.create(
            s,
            SYSTEM,
            name="WhatsApp",
            channel="whatsapp",
            settings={
                "phone_number_id": "1234567890",
                "access_token": SECRETS[1],
                "app_secret": SECRETS[2],
                "verify_token": SECRETS[3],
            },
        )
        inboxes.create(
            s,
            SYSTEM,
            name="Mail",
            channel="email",
            address="help@shop.example",
            settings={
                "imap": {"host": "imap.shop.example", "username": "help", "password": SECRETS[4]},
                "smtp": {"host": "smtp.shop.example", "username": "help", "password": SECRETS[5]},
            },
        )


def test_an_export_leaves_channel_secrets_out_by_default(db, world, tmp_path):
    _inboxes(db)
    path = tmp_path / "export.jsonl"
    export_jsonl(db, path)
    text = path.read_text()
    assert not [s for s in SECRETS if s in text]
    inbox = next(r for r in map(orjson.loads, text.splitlines()) if r.get("name") == "SMS")
    assert inbox["settings"]["auth_token"] == "********" and inbox["settings"]["account_sid"].startswith("AC")
    # The file still imports into an empty database (the inboxes wait for an admin to enter their secrets again).
    empty(db)
    report = import_file(db, path)
    assert report.error_count == 0, report.errors[:3]
    with db.read() as s:
        sms = s.scalar(select(Inbox).where(Inbox.name == "SMS"))
        mail = s.scalar(select(Inbox).where(Inbox.name == "Mail"))
    assert not sms.active and "auth_token" not in sms.settings and sms.settings["phone_number"] == "+14155550100"
    assert not mail.active and mail.settings["imap"] == {"host": "imap.shop.example", "username": "help"}


def test_include_secrets_writes_them_for_the_owner_only(db, world, tmp_path):
    _inboxes(db)
    path = tmp_path / "export.jsonl"
    export_jsonl(db, path, include_secrets=True)
    text = path.read_text()
    assert all(s in text for s in SECRETS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_command_warns_when_it_includes_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path / "data"))
    db = database(settings_for(tmp_path / "data"))
    upgrade(db.engine)
    _inboxes(db)
    register(app)
    runner = CliRunner()
    plain = runner.invoke(app, ["export", str(tmp_path / "plain.jsonl")])
    assert plain.exit_code == 0, plain.output
    assert "--include-secrets" in plain.output and SECRETS[0] not in (tmp_path / "plain.jsonl").read_text()
    full = runner.invoke(app, ["export", "--include-secrets", str(tmp_path / "full.jsonl")])
    assert full.exit_code == 0, full.output
    assert "warning" in full.output and "clear text" in full.output
    assert SECRETS[0] in (tmp_path / "full.jsonl").read_text()
