"""Every mail of the shared corpus (CPython, flanker and mail-parser test mails) through the fetcher's pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from rapport.models import Attachment, EmailReceipt, Message
from tests.channels.email.conftest import receive

CORPUS = Path(os.environ.get("RAPPORT_EMAIL_CORPUS", Path(__file__).resolve().parents[4] / "shared/corpus/email"))


def _is_mail(path: Path) -> bool:
    name = path.name
    return path.suffix in (".eml", ".mbox") or name.startswith(("msg_", "mail_"))


MAILS = sorted(p for p in CORPUS.rglob("*") if p.is_file() and _is_mail(p)) if CORPUS.is_dir() else []


def test_the_corpus_is_there():
    assert len(MAILS) >= 80, f"expected the shared mail corpus at {CORPUS}"


@pytest.mark.parametrize("path", MAILS, ids=[str(p.relative_to(CORPUS)) for p in MAILS])
def test_corpus_mail_becomes_a_message_or_is_quarantined(db, bare_inbox, path):
    (outcome,) = receive(db, bare_inbox.id, path.read_bytes())
    assert outcome.outcome in ("message", "quarantined"), outcome
    with db.read() as s:
        receipt = s.scalars(select(EmailReceipt)).one()
        if outcome.outcome == "message":
            message = s.get(Message, outcome.message_id)
            files = s.scalars(select(Attachment).where(Attachment.message_id == message.id)).all()
            assert message.body_text or message.body_html or files
            assert receipt.message_id == message.id
        else:
            assert receipt.reason and receipt.detail
